/**
 * A session log as a consultation's task: what retrospective and trainer (src/tools/) read instead of
 * code. Only the log's end is read; the entries left out are counted and reported — exactly, unless
 * the log is so long that counting them would mean reading it all: then as a lower bound, said so.
 */
import type { Deps } from '../deps.js';
import { CallRefused } from '../errors.js';
import { COUNTED_BYTES, formatEntry, formatHistory, type SessionEntry } from '../session/log.js';
import { windowChars, type Task, type WhatWasCut } from './prompt.js';

/**
 * The most of a session log's end that is read, whatever the model's window: never the whole of a
 * log that grew without bound. Within it, reading stops once the entries read would fill the window
 * (the prompt is fitted to the window afterwards).
 */
export const SESSION_REVIEW_BYTES = 512 * 1024;

export interface ReadLog {
  entries: SessionEntry[];
  text: string;
  /** Older entries not read (beyond SESSION_REVIEW_BYTES). */
  earlier: number;
  /** False when `earlier` is a lower bound (the log is longer than SESSION_REVIEW_BYTES + COUNTED_BYTES). */
  earlierExact: boolean;
  /** The project of the session's latest call that named one. */
  projectRoot: string | null;
}

/**
 * The end of the session's log, as much of it as a `contextWindow` could show (its newest entries,
 * read back from the end until they would fill the window); refused when the session has no calls yet.
 */
export async function readSessionLog(deps: Pick<Deps, 'sessions'>, sessionId: string, contextWindow = Infinity): Promise<ReadLog> {
  const room = windowChars(contextWindow);
  // Each entry is rendered once, as it is read (newest first): its length says when the window is full.
  const lines: string[] = [];
  let chars = 0;
  const { entries, earlier, earlierExact } = await deps.sessions.tail(sessionId, SESSION_REVIEW_BYTES, (entry) => {
    const line = formatEntry(entry);
    lines.push(line);
    chars += line.length + 1;
    return chars >= room;
  });
  if (entries.length === 0) {
    throw new CallRefused(`session ${sessionId} has no consultations yet: consult first, or pass the session_id of an earlier session`);
  }
  const text = lines.length === entries.length ? lines.reverse().join('\n') : formatHistory(entries);
  return { entries, text, earlier, earlierExact, projectRoot: entries.findLast((e) => e.project_root)?.project_root ?? null };
}

export const logTask = (phase: string, sessionId: string, log: ReadLog): Task => ({
  phase,
  projectRoot: log.projectRoot,
  fields: [
    ['Session', sessionId],
    ['Consultations', consultations(log)],
    ['Session log (oldest first)', log.text, { name: 'session_log', sessionLog: true }],
  ],
  attachments: [],
});

const READ_MIB = (SESSION_REVIEW_BYTES + COUNTED_BYTES) / 1024 / 1024;

/** How many calls the session holds, as far as it was counted. */
function consultations(log: ReadLog): string {
  const counted = log.entries.length + log.earlier;
  return log.earlierExact ? String(counted) : `at least ${counted} (only the log's last ${READ_MIB} MiB were counted)`;
}

/** What was cut: the entries not read count with those the prompt left out (a lower bound when not all were counted). */
export const withEarlier = (cut: WhatWasCut, log: ReadLog): WhatWasCut => ({
  ...cut,
  session_entries: (cut.session_entries ?? 0) + log.earlier,
  ...(log.earlierExact ? {} : { session_entries_at_least: true as const }),
});
