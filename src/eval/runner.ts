/**
 * Runs eval cases through the real tool path — the tool's own argument parsing, its discipline, brain
 * search, session history, prompt fitting and model chain — with the model named per run, then
 * checks each answer. A case's failure (no answer, a wrong answer, code that does not compile) is
 * a result, never the end of the run.
 */
import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps.js';
import { errorLine } from '../errors.js';
import type { SessionEntry } from '../session/log.js';
import { TOOLS } from '../tools/index.js';
import type { Tool } from '../tools/define.js';
import { sessionLines, type EvalCase } from './cases.js';
import { checkAnswer } from './checks.js';
import type { SandboxLimits } from './sandbox.js';

export interface CaseResult {
  case: string;
  skill: EvalCase['skill'];
  /** The model, or a panel's label. */
  model: string;
  /** 1-based, for --repeat. */
  run: number;
  passed: boolean;
  /** Whether the model answered at all (false: the call failed, and `reason` says how). */
  answered: boolean;
  reason: string;
  /** The tool call's time, end to end: what the agent waits. */
  latency_ms: number;
  /** Prompt and completion tokens, as the model server reported them (null: it did not). */
  tokens: number | null;
}

/**
 * What a run scores: one model (its name is its label), or a panel of models under a label of its
 * own, `panel(a+b)`. A panel runs only the cases of the skills that take one.
 */
export interface Contestant {
  label: string;
  panel?: readonly string[] | undefined;
}

/** The skills whose tools take a `panel` argument (review.ts and debug.ts). */
export const PANEL_SKILLS: ReadonlySet<EvalCase['skill']> = new Set(['review', 'debug']);

export const panelLabel = (models: readonly string[]) => `panel(${models.join('+')})`;

export interface EvalRun {
  cases: readonly EvalCase[];
  contestants: readonly Contestant[];
  repeat: number;
  /** Tool calls in flight at once. */
  concurrency: number;
  limits?: SandboxLimits | undefined;
  signal?: AbortSignal | undefined;
  /** After each result, with how many of how many are done. */
  onResult?: ((result: CaseResult, done: number, total: number) => void) | undefined;
  /** When a call starts: what the progress line shows. */
  onStart?: ((caseId: string, model: string) => void) | undefined;
}

const toolOf = (skill: string): Tool => {
  const tool = TOOLS.find((t) => t.name === skill);
  if (!tool) throw new Error(`no tool named ${skill}`);
  return tool;
};

/** The arguments a case's call gets: its own, plus the code it shows, the model (or panel) and a session of its own. */
export function caseArguments(c: EvalCase, contestant: Contestant, sessionId: string): Record<string, unknown> {
  const who = contestant.panel ? { panel: [...contestant.panel] } : { model: contestant.label };
  if (c.skill === 'retrospective' || c.skill === 'trainer') return { ...c.arguments, ...who, session_id: sessionId };
  const attachments = Object.entries(c.given).map(([path, content]) => ({ path, content }));
  return { project_root: `/eval/${c.id}`, ...c.arguments, ...(attachments.length > 0 ? { attachments } : {}), ...who, session_id: sessionId };
}

/** The case runs of a contestant: every case for a model, the panel skills' cases for a panel. */
export const casesFor = (cases: readonly EvalCase[], contestant: Contestant) => (contestant.panel ? cases.filter((c) => PANEL_SKILLS.has(c.skill)) : cases);

/**
 * Problems that would fail every run of a case for reasons of its own (its arguments refused by the
 * tool), said before any model is asked.
 */
export function argumentProblems(cases: readonly EvalCase[]): string[] {
  return cases.flatMap((c) => {
    const checked = toolOf(c.skill).parse(caseArguments(c, { label: 'model' }, 'session'));
    return 'problem' in checked ? [`case ${c.dir}: arguments: ${checked.problem}`] : [];
  });
}

export async function runEval(deps: Deps, run: EvalRun): Promise<CaseResult[]> {
  const jobs = run.contestants.flatMap((who) => casesFor(run.cases, who).flatMap((c) => Array.from({ length: run.repeat }, (_, i) => ({ c, who, n: i + 1 }))));
  const results: CaseResult[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < jobs.length && !run.signal?.aborted) {
      const index = next++;
      const { c, who, n } = jobs[index]!;
      run.onStart?.(c.id, who.label);
      const result = await runCase(deps, c, who, n, run);
      results[index] = result;
      run.onResult?.(result, ++done, jobs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(run.concurrency, jobs.length)) }, worker));
  return results.filter((result) => result !== undefined);
}

async function runCase(deps: Deps, c: EvalCase, who: Contestant, n: number, run: EvalRun): Promise<CaseResult> {
  const sessionId = `eval-${randomUUID()}`;
  const base = { case: c.id, skill: c.skill, model: who.label, run: n };
  const tool = toolOf(c.skill);
  const parsed = tool.parse(caseArguments(c, who, sessionId));
  if ('problem' in parsed) return { ...base, passed: false, answered: false, reason: `arguments refused: ${parsed.problem}`, latency_ms: 0, tokens: null };
  const started = performance.now();
  let structured: Record<string, unknown>;
  try {
    if (c.session !== null) await seedSession(deps, sessionId, c.session);
    structured = (await tool.run(parsed.args, { deps, call: { sessionId, signal: run.signal } })).structured;
  } catch (error) {
    return { ...base, passed: false, answered: false, reason: `no answer: ${errorLine(error)}`, latency_ms: Math.round(performance.now() - started), tokens: null };
  }
  const latency = Math.round(performance.now() - started);
  const text = typeof structured.text === 'string' ? structured.text : '';
  const writer = structured.writer as { text?: unknown } | undefined;
  const verdict = await checkAnswer(c, { text, writerText: typeof writer?.text === 'string' ? writer.text : undefined }, run.limits).catch((error: unknown) => ({
    passed: false,
    reason: `the check could not run: ${errorLine(error)}`,
  }));
  return { ...base, passed: verdict.passed, answered: true, reason: verdict.reason, latency_ms: latency, tokens: tokensOf(structured.usage) };
}

function tokensOf(usage: unknown): number | null {
  if (!usage || typeof usage !== 'object') return null;
  const { prompt_tokens: prompt, completion_tokens: completion } = usage as { prompt_tokens?: unknown; completion_tokens?: unknown };
  return typeof prompt === 'number' && typeof completion === 'number' ? prompt + completion : null;
}

/**
 * The case's session log written as the server writes one, under the run's own session id: the
 * tool reads it as it reads any session (cases.ts checked that every line is a JSON object).
 */
async function seedSession(deps: Deps, sessionId: string, log: string): Promise<void> {
  for (const line of sessionLines(log)) await deps.sessions.append({ ...(JSON.parse(line) as SessionEntry), session_id: sessionId });
}
