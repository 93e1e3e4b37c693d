/**
 * A consulting tool's session-log entry: one line per call, whether it answered or failed. The log
 * serves the session's later calls; an answer the model gave is worth more than its line, so a log
 * that cannot be written is reported beside the answer (`session_log`), never in its place.
 */
import { NotALogFile } from '../../common/session-log/files.js';
import type { Deps } from '../deps.js';
import { systemErrorLine } from '../errors.js';
import { ChainFailed, type Attempt } from '../llm/chain.js';
import { BrainRefused, BrainUnavailable } from '../brain/client.js';
import { ENTRY_LIMITS, type SessionEntry } from '../session/log.js';
import type { Consultation } from './consultation.js';
import type { WhatWasCut } from './prompt.js';
import type { AdviceOutcome } from './advice-outcome.js';

export interface LoggedCall {
  skill: string;
  phase: string;
  projectRoot: string | null;
  sessionId: string;
  /** The call's own arguments (summarized by summarizeArguments before they are written). */
  arguments?: Record<string, unknown>;
  /** How the previous TDD step's advice turned out (src/consult/advice-outcome.ts), kept in the entry. */
  adviceOutcome?: AdviceOutcome | null;
}

/** Arguments the entry holds elsewhere (`project_root`, the log's own `session_id`), or that say nothing about the task. */
const NOT_SUMMARIZED = new Set(['project_root', 'session_id']);

/**
 * The call's arguments in short, for the session log: which were given, a text's first words, the
 * names of files (attachments by path, never their content), each within ENTRY_LIMITS.
 */
export function summarizeArguments(args: Record<string, unknown>): Record<string, string> {
  const summary: Record<string, string> = {};
  for (const [name, value] of Object.entries(args)) {
    if (Object.keys(summary).length >= ENTRY_LIMITS.arguments) break;
    if (NOT_SUMMARIZED.has(name) || value === undefined || value === null || value === '') continue;
    const short = inShort(value);
    if (short) summary[name] = short;
  }
  return summary;
}

function inShort(value: unknown): string {
  if (Array.isArray(value)) {
    // A list of paths, or of attachments: their paths stand for them.
    const names = value.map((item) => (typeof item === 'string' ? item : item && typeof item === 'object' && 'path' in item ? String(item.path) : '')).filter(Boolean);
    const shown = names.slice(0, ENTRY_LIMITS.argumentPaths).join(', ');
    const more = names.length - ENTRY_LIMITS.argumentPaths;
    return firstWords(more > 0 ? `${shown} (+${more} more)` : shown);
  }
  return firstWords(typeof value === 'string' ? value : JSON.stringify(value));
}

/** A text's start on one line, cut at a word within ENTRY_LIMITS.argumentChars. */
function firstWords(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= ENTRY_LIMITS.argumentChars) return line;
  const start = line.slice(0, ENTRY_LIMITS.argumentChars - 1);
  const space = start.lastIndexOf(' ');
  return `${space > ENTRY_LIMITS.argumentChars / 2 ? start.slice(0, space) : start}…`;
}

/** Attempts as logged: an upstream's error detail can be long; its first line or so says what happened. */
const boundedAttempts = (attempts: Attempt[]): Attempt[] =>
  attempts.map((a) => (a.detail && a.detail.length > ENTRY_LIMITS.attemptDetailChars ? { ...a, detail: `${a.detail.slice(0, ENTRY_LIMITS.attemptDetailChars - 1)}…` } : a));

/** At most `max` paths of a list, then "+N more". */
const boundedPaths = (list: string[], max: number) => (list.length > max ? [...list.slice(0, max), `+${list.length - max} more`] : list);

/** A result's `cut` for the log: null when nothing was cut; path lists within ENTRY_LIMITS.cutPaths. */
export function cutForLog(cut: WhatWasCut): WhatWasCut | null {
  const paths = (list: string[]) => boundedPaths(list, ENTRY_LIMITS.cutPaths);
  const nothing = !cut.knowledge && !cut.history && !cut.truncated.length && !cut.omitted.length && !cut.fields.length && !cut.session_entries;
  if (nothing) return null;
  return { ...cut, truncated: paths(cut.truncated), omitted: paths(cut.omitted), fields: paths(cut.fields) };
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
    arguments: summarizeArguments(call.arguments ?? {}),
    attempts: [],
    usage: null,
    cut: null,
    ...(call.adviceOutcome ? { advice_outcome: call.adviceOutcome } : {}),
    ...fields,
  });
  /** Null when written, else why not (the server log has the raw error). */
  const write = async (line: SessionEntry): Promise<string | null> => {
    try {
      await deps.sessions.append(line);
      return null;
    } catch (error) {
      deps.logger.error({ err: error, session_id: call.sessionId }, 'cannot write the session log');
      // The brain service's own words in team mode (they name the service and hold no path), as the
      // refusal of a log that is no file (it names the session only); a disk's error by its code only.
      const ownWords = error instanceof BrainUnavailable || error instanceof BrainRefused || error instanceof NotALogFile;
      const why = ownWords ? error.message : systemErrorLine(error);
      return `not written: ${why}; the server log has the details`;
    }
  };

  let result: T;
  try {
    result = await work();
  } catch (error) {
    const failed = error instanceof ChainFailed ? error : null;
    // Cancelled by the client or stopped at shutdown: not a failure of the models or of the call.
    const status = failed?.cancelled ? 'cancelled' : 'error';
    const message = (error as Error).message;
    await write(entry({ final_status: status, message: message.slice(0, ENTRY_LIMITS.errorChars), message_chars: message.length, attempts: boundedAttempts(failed?.attempts ?? []) }));
    throw error;
  }
  const notWritten = await write(
    entry({
      model_used: result.model,
      message: result.text.slice(0, ENTRY_LIMITS.answerChars),
      message_chars: result.text.length,
      attempts: boundedAttempts(result.attempts),
      usage: result.usage,
      knowledge: boundedPaths(result.knowledge, ENTRY_LIMITS.knowledgePaths),
      cut: cutForLog(result.cut),
    }),
  );
  return notWritten ? { ...result, session_log: notWritten } : result;
}
