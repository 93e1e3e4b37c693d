/**
 * The two skills that read a whole session log instead of code: `retrospective` (what to learn from
 * it) and `trainer` (a reader finds learning moments, a writer turns them into brain entries).
 */
import { z } from 'zod';
import { formatHistory, SESSION_ID_PATTERN, type SessionEntry } from '../session/log.js';
import { commonArgs } from './skill.js';
import { logged, runConsultation, type CallContext, type Consultation, type ConsultDeps } from './consult.js';
import type { Task, WhatWasCut } from './prompt.js';

export const sessionReviewArgs = {
  session_id: z.string().regex(SESSION_ID_PATTERN, 'session_id: 1–128 letters, digits, - or _').optional().describe('Session to review; default: this one.'),
  model: commonArgs.model,
};

export class EmptySession extends Error {}

/**
 * How much of a session log's end is read: far more than any model window holds (the prompt is
 * fitted to the window afterwards), and never the whole of a log that grew without bound.
 */
export const SESSION_REVIEW_BYTES = 512 * 1024;

interface ReadLog {
  entries: SessionEntry[];
  text: string;
  /** Older entries not read (beyond SESSION_REVIEW_BYTES). */
  earlier: number;
}

async function sessionLog(deps: ConsultDeps, sessionId: string): Promise<ReadLog> {
  const { entries, earlier } = await deps.sessions.tail(sessionId, SESSION_REVIEW_BYTES);
  if (entries.length === 0) {
    throw new EmptySession(`session ${sessionId} has no consultations yet: consult first, or pass the session_id of an earlier session`);
  }
  return { entries, text: formatHistory(entries), earlier };
}

const logTask = (phase: string, sessionId: string, log: ReadLog): Task => ({
  phase,
  projectRoot: log.entries.findLast((e) => e.project_root)?.project_root ?? null,
  fields: [
    ['Session', sessionId],
    ['Consultations', String(log.entries.length + log.earlier)],
    ['Session log (oldest first)', log.text, { name: 'session_log', sessionLog: true }],
  ],
  attachments: [],
});

/** What was cut: the entries not read count with those the prompt left out. */
const withEarlier = (cut: WhatWasCut, log: ReadLog): WhatWasCut => ({ ...cut, session_entries: (cut.session_entries ?? 0) + log.earlier });

export async function retrospective(deps: ConsultDeps, args: { model?: string }, context: CallContext): Promise<Consultation> {
  const log = await sessionLog(deps, context.sessionId);
  const task = logTask('retrospective', context.sessionId, log);
  return logged(deps, { skill: 'retrospective', phase: 'retrospective', projectRoot: task.projectRoot, sessionId: context.sessionId }, async () => {
    const result = await runConsultation(
      deps,
      { family: 'retrospective', phase: 'retrospective', discipline: 'retrospective', searchText: log.text, task, model: args.model, withHistory: false },
      context,
    );
    return { ...result, cut: withEarlier(result.cut, log) };
  });
}

export interface Training extends Consultation {
  reader: { text: string; model: string };
  writer: { text: string; model: string };
}

export async function trainer(deps: ConsultDeps, args: { model?: string }, context: CallContext): Promise<Training> {
  const log = await sessionLog(deps, context.sessionId);
  const projectRoot = log.entries.findLast((e) => e.project_root)?.project_root ?? null;
  return logged(deps, { skill: 'trainer', phase: 'trainer', projectRoot, sessionId: context.sessionId }, async () => {
    const reader = await runConsultation(
      deps,
      { family: 'trainer', phase: 'trainer', discipline: 'trainer-reader', searchText: log.text, task: logTask('trainer: find learning moments', context.sessionId, log), model: args.model, withHistory: false },
      context,
    );
    const writer = await runConsultation(
      deps,
      {
        family: 'trainer',
        phase: 'trainer',
        discipline: 'trainer-writer',
        searchText: reader.text,
        task: { phase: 'trainer: write knowledge entries', projectRoot, fields: [['Learning moments found by the reader', reader.text, { name: 'learning_moments' }]], attachments: [] },
        model: args.model,
        withHistory: false,
      },
      context,
    );
    return {
      ...writer,
      text: `## Learning moments\n\n${reader.text}\n\n## Knowledge entries\n\n${writer.text}`,
      duration_ms: reader.duration_ms + writer.duration_ms,
      attempts: [...reader.attempts, ...writer.attempts],
      knowledge: [...new Set([...reader.knowledge, ...writer.knowledge])],
      // The reader read the log: its cut is the one that says which entries were left out.
      cut: { ...withEarlier(reader.cut, log), fields: [...new Set([...reader.cut.fields, ...writer.cut.fields])] },
      reader: { text: reader.text, model: reader.model },
      writer: { text: writer.text, model: writer.model },
    };
  });
}
