/**
 * A consulting tool's session-log entry: one line per call, whether it answered or failed. The log
 * serves the session's later calls; an answer the model gave is worth more than its line, so a log
 * that cannot be written is reported beside the answer (`session_log`), never in its place.
 */
import type { Deps } from '../deps.js';
import { systemErrorLine } from '../errors.js';
import { ChainFailed } from '../llm/chain.js';
import type { SessionEntry } from '../session/log.js';
import type { Consultation } from './consultation.js';

export interface LoggedCall {
  skill: string;
  phase: string;
  projectRoot: string | null;
  sessionId: string;
}

/** A consultation, and — only when its log line could not be written — why. */
export type Logged<T extends Consultation> = T & { session_log?: string };

/** Runs `work` and appends its session entry, whether it answered or failed. */
export async function logged<T extends Consultation>(deps: Pick<Deps, 'sessions' | 'logger'>, call: LoggedCall, work: () => Promise<T>): Promise<Logged<T>> {
  const started = performance.now();
  const entry = (fields: Partial<SessionEntry>): SessionEntry => ({
    session_id: call.sessionId,
    timestamp: new Date().toISOString(),
    skill: call.skill,
    phase: call.phase,
    project_root: call.projectRoot,
    final_status: 'ok',
    model_used: null,
    duration_ms: Math.round(performance.now() - started),
    message: '',
    attempts: [],
    usage: null,
    ...fields,
  });
  /** Null when written, else why not (the server log has the raw error). */
  const write = async (line: SessionEntry): Promise<string | null> => {
    try {
      await deps.sessions.append(line);
      return null;
    } catch (error) {
      deps.logger.error({ err: error, session_id: call.sessionId }, 'cannot write the session log');
      return `not written: ${systemErrorLine(error)}; the server log has the details`;
    }
  };

  let result: T;
  try {
    result = await work();
  } catch (error) {
    const failed = error instanceof ChainFailed ? error : null;
    // Cancelled by the client or stopped at shutdown: not a failure of the models or of the call.
    const status = failed?.cancelled ? 'cancelled' : 'error';
    await write(entry({ final_status: status, message: (error as Error).message.slice(0, 200), attempts: failed?.attempts ?? [] }));
    throw error;
  }
  const notWritten = await write(entry({ model_used: result.model, message: result.text.slice(0, 200), attempts: result.attempts, usage: result.usage }));
  return notWritten ? { ...result, session_log: notWritten } : result;
}
