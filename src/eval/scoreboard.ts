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
  results: CaseResult[];
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

export function scoreboard(results: readonly CaseResult[], meta: { litellm: string; repeat: number; models: readonly string[]; date?: Date }): Scoreboard {
  const skills = EVAL_SKILLS.filter((skill) => results.some((r) => r.skill === skill));
  const scores: Score[] = [];
  for (const model of meta.models) {
    for (const skill of skills) {
      const mine = results.filter((r) => r.model === model && r.skill === skill);
      if (mine.length === 0) continue;
      const passed = mine.filter((r) => r.passed).length;
      const answered = mine.filter((r) => r.answered);
      const latencies = answered.map((r) => r.latency_ms).sort((a, b) => a - b);
      const tokens = answered.flatMap((r) => (r.tokens === null ? [] : [r.tokens]));
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
  return { version: 1, date: (meta.date ?? new Date()).toISOString(), litellm: meta.litellm, repeat: meta.repeat, models: [...meta.models], skills, scores, results: [...results] };
}

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

/** A plain-text table, columns padded: what a terminal shows. */
export function scoreTable(board: Scoreboard): string {
  const rows = [HEADINGS, ...board.scores.map(cells)];
  const widths = HEADINGS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The report: the table, then every case that failed with its reason. */
export function scoreMarkdown(board: Scoreboard): string {
  const row = (cellsOfRow: string[]) => `| ${cellsOfRow.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  const failed = board.results.filter((r) => !r.passed);
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
