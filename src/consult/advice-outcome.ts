/**
 * Whether the previous consultant's advice worked, read from the test run that followed it: a
 * `tdd_green` or `tdd_refactor` call may bring that run's output (`test_output`). Red advice worked
 * when its test failed by an assertion; green and refactor advice worked when the tests pass. The
 * outcome goes into the call's session-log entry, /metrics and `status`, per model and skill: the
 * rate at which a model's advice works in real use, beside what `supervisor eval` measures.
 */
import type { AdviceOutcome } from '../../common/consultation-contract.js';
import type { Deps } from '../deps.js';
import type { SessionEntry } from '../session/log.js';

export type { AdviceOutcome };
export type TestRunState = AdviceOutcome['seen'];

/** How much of a test output's end is read: runners print their summary last, and a regex over 1 MB costs. */
const READ_CHARS = 20_000;

/** Signs that the tests did not get to run (a syntax, import or compile error), whatever the runner. */
const DID_NOT_RUN =
  /\b(SyntaxError|ReferenceError: \w+ is not defined|Cannot find module|ERR_MODULE_NOT_FOUND|does not provide an export named|ModuleNotFoundError|ImportError|error TS\d+|error\[E\d+\]|cannot find symbol|undefined: \w+|Failed to load|Transform failed|compilation (failed|error)|could not compile)\b/i;

/** Signs that a test ran and an assertion failed: with them, a failing run is a failure and not an error. */
const ASSERTED = /\bAssertionError\b|\bexpect(?:ed)?\(|^\s*(?:Expected|Received|expected|actual)\b.*:|\bexpected .+ to /m;

/** Summary lines of failing runs: node --test (spec and TAP), vitest, jest, mocha, pytest, go, cargo, JUnit. */
const FAILED = [
  /^\s*(?:#|ℹ) fail [1-9]/m,
  /\bTests?:?\s+(?:\d+ \w+ \| )*[1-9]\d* failed/i,
  /\b[1-9]\d* (?:failing|failed)\b/i,
  /^(?:FAIL|--- FAIL)\b/m,
  /test result: FAILED/,
  /\bTests run: \d+, Failures: [1-9]/,
  /\bAssertionError\b/,
];

/** Summary lines of passing runs. */
const PASSED = [/^\s*(?:#|ℹ) pass [1-9]/m, /\b[1-9]\d* (?:passing|passed)\b/i, /^ok\s/m, /test result: ok\./, /\bTests run: [1-9]\d*, Failures: 0, Errors: 0/, /\bOK \(\d+ tests?\)/];

/** What a test run's output says, from the summary lines of common test runners. */
export function testRunState(output: string): TestRunState {
  const text = output.slice(-READ_CHARS);
  if (FAILED.some((pattern) => pattern.test(text))) {
    // Runners count a file that would not load as a failed one: no assertion ran, so it is an error.
    return DID_NOT_RUN.test(text) && !ASSERTED.test(text) ? 'error' : 'failed';
  }
  if (DID_NOT_RUN.test(text)) return 'error';
  return PASSED.some((pattern) => pattern.test(text)) ? 'passed' : 'unknown';
}

/** What each TDD step's advice predicts of the test run that follows it. */
const EXPECTED: Readonly<Record<string, AdviceOutcome['expected']>> = { tdd_red: 'failed', tdd_green: 'passed', tdd_refactor: 'passed' };

/** A session entry whose advice a later test run can judge: a TDD step a model answered. */
export const isJudgedStep = (entry: SessionEntry) => Object.hasOwn(EXPECTED, entry.skill) && entry.final_status === 'ok' && entry.model_used !== null;

/** The outcome of `previous`'s advice as `output` shows it; null when there is no step to judge. */
export function adviceOutcome(previous: SessionEntry | undefined, output: string): AdviceOutcome | null {
  if (!previous || !isJudgedStep(previous)) return null;
  const expected = EXPECTED[previous.skill]!;
  const seen = testRunState(output);
  return { skill: previous.skill as AdviceOutcome['skill'], model: previous.model_used!, expected, seen, worked: seen === 'unknown' ? null : seen === expected };
}

/**
 * The outcome of the session's previous TDD step, judged by `output`; null without an output, a
 * previous step, or a readable log (an unreadable one costs the judgement, never the call).
 */
export async function previousAdviceOutcome(deps: Pick<Deps, 'sessions' | 'logger'>, sessionId: string, output: unknown): Promise<AdviceOutcome | null> {
  if (typeof output !== 'string' || output.trim() === '') return null;
  try {
    const [previous] = await deps.sessions.recent(sessionId, { limit: 1, keep: isJudgedStep });
    return adviceOutcome(previous, output);
  } catch (error) {
    deps.logger.warn({ err: error, session_id: sessionId }, "cannot read the session log to judge the previous step's advice");
    return null;
  }
}

export interface AdviceCount {
  skill: string;
  model: string;
  worked: number;
  failed: number;
}

/** Outcomes counted since the server started, per skill and model, for `status` and /metrics. */
export class AdviceTally {
  private readonly counts = new Map<string, AdviceCount>();

  /** `label` maps a model to its metrics label (models.yaml's names, else "other"), so the map stays bounded. */
  constructor(private readonly label: (model: string) => string = (model) => model) {}

  record(outcome: AdviceOutcome): void {
    if (outcome.worked === null) return;
    const model = this.label(outcome.model);
    const key = `${outcome.skill}\u0000${model}`;
    const count = this.counts.get(key) ?? { skill: outcome.skill, model, worked: 0, failed: 0 };
    if (outcome.worked) count.worked++;
    else count.failed++;
    this.counts.set(key, count);
  }

  /** The counts by skill (TDD order), then model. */
  rows(): AdviceCount[] {
    const order = Object.keys(EXPECTED);
    return [...this.counts.values()].map((count) => ({ ...count })).sort((a, b) => order.indexOf(a.skill) - order.indexOf(b.skill) || a.model.localeCompare(b.model));
  }
}
