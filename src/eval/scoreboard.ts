/**
 * The scoreboard: results per model and skill, with the uncertainty a handful of cases leaves (a
 * Wilson interval: 4 of 5 is somewhere between 38% and 96%), answer latency and tokens; shown as a
 * table for people, JSON for tools and markdown for a report. The JSON is also what is kept and what
 * `status` and `--suggest-chains` read.
 */
import { EVAL_SKILLS } from './cases.js';
import type { CaseResult } from './runner.js';

export interface Score {
  model: string;
  skill: string;
  passed: number;
  failed: number;
  total: number;
  /** passed / total. */
  rate: number;
  /** 95% Wilson score interval of the rate. */
  interval: [number, number];
  /** Of the calls the model answered; null when it answered none. */
  latency_ms: { p50: number; p95: number } | null;
  /** Mean tokens per answered call, where the model server reported them. */
  tokens: number | null;
}

export interface Scoreboard {
  version: 1;
  /** When the run ended (ISO 8601). */
  date: string;
  litellm: string;
  repeat: number;
  models: string[];
  skills: string[];
  scores: Score[];
  /** Each `--panel` against the best single model on the same case runs (absent when no panel ran). */
  panels?: PanelComparison[];
  results: CaseResult[];
}

/** One side of a panel comparison: a panel or a single model, over the panel's case runs. */
export interface Side {
  model: string;
  passed: number;
  total: number;
  rate: number;
  interval: [number, number];
  /** Answer latency p50 of its answered calls; null when it answered none. */
  latency_p50_ms: number | null;
}

/** Whether a panel pays: its rate and latency beside the best single model's on the same cases. */
export interface PanelComparison {
  panel: Side & { models: string[] };
  skills: string[];
  /** The single model with the best rate on the panel's cases (the faster one of equal rates); null when none ran them. */
  best: Side | null;
  /** By rate alone; `distinct` says whether the difference is more than a handful of cases can show. */
  verdict: 'better' | 'same' | 'worse' | null;
  /** The evidence tells the two apart: neither rate lies within the other's 95% interval. */
  distinct: boolean;
  /** The panel's latency p50 ÷ the best single model's. */
  latency_ratio: number | null;
}

/** The 95% Wilson score interval of `passed` out of `total` (0–1 each way; [0, 1] for no trials). */
export function wilson(passed: number, total: number, z = 1.96): [number, number] {
  if (total === 0) return [0, 1];
  const p = passed / total;
  const z2 = z * z;
  const centre = (p + z2 / (2 * total)) / (1 + z2 / total);
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / (1 + z2 / total);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Nearest-rank percentile of sorted numbers. */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const latenciesOf = (results: readonly CaseResult[]) =>
  results
    .filter((r) => r.answered)
    .map((r) => r.latency_ms)
    .sort((a, b) => a - b);

export interface ScoreboardMeta {
  litellm: string;
  repeat: number;
  /** Every model and panel label scored, in the order given. */
  models: readonly string[];
  /** The panels among them, with their models. */
  panels?: ReadonlyArray<{ label: string; models: readonly string[] }>;
  date?: Date;
}

export function scoreboard(results: readonly CaseResult[], meta: ScoreboardMeta): Scoreboard {
  const skills = EVAL_SKILLS.filter((skill) => results.some((r) => r.skill === skill));
  const scores: Score[] = [];
  for (const model of meta.models) {
    for (const skill of skills) {
      const mine = results.filter((r) => r.model === model && r.skill === skill);
      if (mine.length === 0) continue;
      const passed = mine.filter((r) => r.passed).length;
      const latencies = latenciesOf(mine);
      const tokens = mine.flatMap((r) => (r.answered && r.tokens !== null ? [r.tokens] : []));
      scores.push({
        model,
        skill,
        passed,
        failed: mine.length - passed,
        total: mine.length,
        rate: passed / mine.length,
        interval: wilson(passed, mine.length),
        latency_ms: latencies.length > 0 ? { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) } : null,
        tokens: tokens.length > 0 ? Math.round(tokens.reduce((a, b) => a + b, 0) / tokens.length) : null,
      });
    }
  }
  const panelLabels = new Set((meta.panels ?? []).map((panel) => panel.label));
  const singles = meta.models.filter((model) => !panelLabels.has(model));
  const panels = (meta.panels ?? []).map((panel) => comparePanel(results, panel, singles));
  return {
    version: 1,
    date: (meta.date ?? new Date()).toISOString(),
    litellm: meta.litellm,
    repeat: meta.repeat,
    models: [...meta.models],
    skills,
    scores,
    ...(panels.length > 0 ? { panels } : {}),
    results: [...results],
  };
}

function side(model: string, runs: readonly CaseResult[]): Side {
  const passed = runs.filter((r) => r.passed).length;
  const latencies = latenciesOf(runs);
  return { model, passed, total: runs.length, rate: runs.length === 0 ? 0 : passed / runs.length, interval: wilson(passed, runs.length), latency_p50_ms: latencies.length > 0 ? percentile(latencies, 0.5) : null };
}

/**
 * The panel beside every single model on exactly the case runs the panel had (same cases, same
 * repeats), and the best of those: the comparison is fair only on the same questions.
 */
function comparePanel(results: readonly CaseResult[], panel: { label: string; models: readonly string[] }, singleModels: readonly string[]): PanelComparison {
  const own = results.filter((r) => r.model === panel.label);
  const asked = new Set(own.map((r) => `${r.case}#${r.run}`));
  const singles = singleModels
    .map((model) => side(model, results.filter((r) => r.model === model && asked.has(`${r.case}#${r.run}`))))
    .filter((s) => s.total > 0);
  const slowness = (s: Side) => s.latency_p50_ms ?? Infinity;
  const best = singles.sort((a, b) => b.rate - a.rate || slowness(a) - slowness(b))[0] ?? null;
  const mine = side(panel.label, own);
  // Stricter than indistinct(): a panel is only called a difference when neither rate could be the other's.
  const distinct = best !== null && !within(mine.rate, best.interval) && !within(best.rate, mine.interval);
  return {
    panel: { ...mine, models: [...panel.models] },
    skills: EVAL_SKILLS.filter((skill) => own.some((r) => r.skill === skill)),
    best,
    verdict: best === null ? null : mine.rate > best.rate ? 'better' : mine.rate < best.rate ? 'worse' : 'same',
    distinct,
    latency_ratio: best?.latency_p50_ms && mine.latency_p50_ms !== null ? Math.round((mine.latency_p50_ms / best.latency_p50_ms) * 100) / 100 : null,
  };
}

type Rated = Pick<Score, 'rate' | 'interval'>;
const within = (rate: number, [low, high]: [number, number]) => rate >= low && rate <= high;
/** Each rate lies within the other's 95% interval: the evidence cannot tell the two apart. */
export const indistinct = (a: Rated, b: Rated) => within(a.rate, b.interval) && within(b.rate, a.interval);

const percent = (x: number) => `${Math.round(x * 100)}%`;
const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`);

/** The cells of one score: what the table and the markdown show alike. */
function cells(score: Score): string[] {
  return [
    score.model,
    score.skill,
    `${score.passed}/${score.total}`,
    percent(score.rate),
    `${percent(score.interval[0])}–${percent(score.interval[1])}`,
    score.latency_ms ? seconds(score.latency_ms.p50) : '–',
    score.latency_ms ? seconds(score.latency_ms.p95) : '–',
    score.tokens === null ? '–' : score.tokens.toLocaleString('en-US'),
  ];
}

const HEADINGS = ['model', 'skill', 'passed', 'rate', '95% interval', 'p50', 'p95', 'tokens'];

const sideText = (s: Side) => `${s.passed}/${s.total} (${percent(s.rate)}, p50 ${s.latency_p50_ms === null ? '–' : seconds(s.latency_p50_ms)})`;

/** Whether a panel paid, in one line: its score and latency beside the best single model's on the same cases. */
export function panelLine(c: PanelComparison): string {
  const head = `${c.panel.model} on ${c.skills.join(', ')}: ${sideText(c.panel)}`;
  if (c.best === null) return `${head}; no single model ran these cases to compare with`;
  const latency = c.latency_ratio === null ? '' : `, at ${c.latency_ratio.toFixed(2)}× its latency`;
  const caution = c.verdict !== 'same' && !c.distinct ? " (not yet a difference: a rate lies within the other's 95% interval)" : '';
  return `${head} against the best single model, ${c.best.model}: ${sideText(c.best)}: ${c.verdict}${caution}${latency}`;
}

/** A plain-text table, columns padded: what a terminal shows; then a line per panel. */
export function scoreTable(board: Scoreboard): string {
  const rows = [HEADINGS, ...board.scores.map(cells)];
  const widths = HEADINGS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const panels = (board.panels ?? []).map(panelLine);
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), ...(panels.length > 0 ? ['', ...panels] : [])].join('\n');
}

/** The report: the table, then every case that failed with its reason. */
export function scoreMarkdown(board: Scoreboard): string {
  const row = (cellsOfRow: string[]) => `| ${cellsOfRow.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  const failed = board.results.filter((r) => !r.passed);
  const panels = (board.panels ?? []).map((c) => `- ${panelLine(c)}`);
  const lines = [
    `# supervisor eval, ${board.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Models through ${board.litellm}; ${board.results.length} case runs${board.repeat > 1 ? ` (each case ${board.repeat} times)` : ''}. ` +
      'Latency is the tool call end to end; tokens are per call, as the model server reported them.',
    '',
    row(HEADINGS),
    row(HEADINGS.map((_, i) => (i >= 2 ? '---:' : '---'))),
    ...board.scores.map((score) => row(cells(score))),
    '',
    ...(panels.length > 0 ? ['## Panels against the best single model', '', ...panels, ''] : []),
    failed.length === 0 ? 'Every case passed.' : `## Failed cases (${failed.length})`,
    '',
    ...failed.map((r) => `- \`${r.case}\` with \`${r.model}\`${board.repeat > 1 ? ` (run ${r.run})` : ''}: ${r.reason.replace(/\n/g, ' ')}`),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

/** What `--json` prints: per model and skill, passed, failed and rate (and the rest of the board). */
export function scoreJson(board: Scoreboard): string {
  return JSON.stringify(board, null, 2);
}
