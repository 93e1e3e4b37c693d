/**
 * Where a tdd_green or tdd_refactor call stands in its session's TDD cycle. Green is the least code
 * that makes a failing test pass, so it belongs after a red; refactoring changes no behaviour, so it
 * belongs after a green, with every test passing. A call out of order still answers (the agent may
 * have written the failing test itself); the warning says what the session's log shows.
 */
import type { Deps } from '../deps.js';
import type { SessionEntry } from '../session/log.js';

interface Expectation {
  /** The phase that must have come last among `decisive`. */
  after: string;
  /** Phases of the cycle whose latest successful call decides. */
  decisive: readonly string[];
  warning(last: SessionEntry | undefined): string;
}

const EXPECTED: Readonly<Record<string, Expectation>> = {
  tdd_green: {
    after: 'tdd_red',
    // A green after the last refactor with no red in between has no new failing test to pass.
    decisive: ['tdd_red', 'tdd_refactor'],
    warning: (last) =>
      last
        ? 'no tdd_red since the last tdd_refactor in this session: make sure a test fails before writing code for it'
        : 'no tdd_red in this session: make sure a test fails before writing code for it',
  },
  tdd_refactor: {
    after: 'tdd_green',
    // A red after the last green means a test is failing: refactoring needs every test passing.
    decisive: ['tdd_green', 'tdd_red'],
    warning: (last) =>
      last
        ? 'the last tdd_red of this session has no tdd_green after it: refactor only once every test passes'
        : 'no tdd_green in this session: refactor only once every test passes',
  },
};

/**
 * The warning for a call of `tool` out of its TDD order, or null (in order, or not a TDD phase that
 * follows another). Reads only the log's recent end (SessionLog.recent's bound); a log that cannot
 * be read gives no warning rather than a wrong one.
 */
export async function tddCycleWarning(deps: Pick<Deps, 'sessions' | 'logger'>, tool: string, sessionId: string): Promise<string | null> {
  const expected = EXPECTED[tool];
  if (!expected) return null;
  let last: SessionEntry | undefined;
  try {
    [last] = await deps.sessions.recent(sessionId, { limit: 1, keep: (entry) => entry.final_status === 'ok' && expected.decisive.includes(entry.skill) });
  } catch (error) {
    deps.logger.warn({ err: error, session_id: sessionId }, 'cannot read the session log to check the TDD cycle');
    return null;
  }
  return last?.skill === expected.after ? null : expected.warning(last);
}
