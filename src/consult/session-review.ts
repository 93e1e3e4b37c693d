/**
 * A session log as a consultation's task: what retrospective and trainer (src/tools/) read instead of
 * code. Only the log's end is read; the entries left out are counted and reported.
 */
import type { Deps } from '../deps.js';
import { CallRefused } from '../errors.js';
import { formatHistory, type SessionEntry } from '../session/log.js';
import type { Task, WhatWasCut } from './prompt.js';

/**
 * How much of a session log's end is read: far more than any model window holds (the prompt is
 * fitted to the window afterwards), and never the whole of a log that grew without bound.
 */
export const SESSION_REVIEW_BYTES = 512 * 1024;

export interface ReadLog {
  entries: SessionEntry[];
  text: string;
  /** Older entries not read (beyond SESSION_REVIEW_BYTES). */
  earlier: number;
  /** The project of the session's latest call that named one. */
  projectRoot: string | null;
}

/** The end of the session's log; refused when the session has no calls yet. */
export async function readSessionLog(deps: Pick<Deps, 'sessions'>, sessionId: string): Promise<ReadLog> {
  const { entries, earlier } = await deps.sessions.tail(sessionId, SESSION_REVIEW_BYTES);
  if (entries.length === 0) {
    throw new CallRefused(`session ${sessionId} has no consultations yet: consult first, or pass the session_id of an earlier session`);
  }
  return { entries, text: formatHistory(entries), earlier, projectRoot: entries.findLast((e) => e.project_root)?.project_root ?? null };
}

export const logTask = (phase: string, sessionId: string, log: ReadLog): Task => ({
  phase,
  projectRoot: log.projectRoot,
  fields: [
    ['Session', sessionId],
    ['Consultations', String(log.entries.length + log.earlier)],
    ['Session log (oldest first)', log.text, { name: 'session_log', sessionLog: true }],
  ],
  attachments: [],
});

/** What was cut: the entries not read count with those the prompt left out. */
export const withEarlier = (cut: WhatWasCut, log: ReadLog): WhatWasCut => ({ ...cut, session_entries: (cut.session_entries ?? 0) + log.earlier });
