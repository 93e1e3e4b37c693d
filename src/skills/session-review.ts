/**
 * The two skills that read a whole session log instead of code: `retrospective` (what to learn from
 * it) and `trainer` (a reader finds learning moments, a writer turns them into brain entries).
 */
import { z } from 'zod';
import { formatHistory, SESSION_ID_PATTERN, type SessionEntry } from '../session/log.js';
import { commonArgs } from './skill.js';
import { logged, runConsultation, type CallContext, type Consultation, type ConsultDeps } from './consult.js';

export const sessionReviewArgs = {
  session_id: z.string().regex(SESSION_ID_PATTERN, 'session_id: 1–128 letters, digits, - or _').optional().describe('Session to review; default: this one.'),
  model: commonArgs.model,
};

export class EmptySession extends Error {}

async function sessionLog(deps: ConsultDeps, sessionId: string): Promise<{ entries: SessionEntry[]; text: string }> {
  const entries = await deps.sessions.read(sessionId);
  if (entries.length === 0) {
    throw new EmptySession(`session ${sessionId} has no consultations yet: consult first, or pass the session_id of an earlier session`);
  }
  return { entries, text: formatHistory(entries) };
}

const logTask = (phase: string, sessionId: string, entries: SessionEntry[], text: string) => ({
  phase,
  projectRoot: entries.findLast((e) => e.project_root)?.project_root ?? null,
  fields: [
    ['Session', sessionId],
    ['Consultations', String(entries.length)],
    ['Session log (oldest first)', text],
  ] as Array<[string, string]>,
  attachments: [],
});

export async function retrospective(deps: ConsultDeps, args: { model?: string }, context: CallContext): Promise<Consultation> {
  const { entries, text } = await sessionLog(deps, context.sessionId);
  const task = logTask('retrospective', context.sessionId, entries, text);
  return logged(deps, { skill: 'retrospective', phase: 'retrospective', projectRoot: task.projectRoot, sessionId: context.sessionId }, () =>
    runConsultation(
      deps,
      { family: 'retrospective', phase: 'retrospective', discipline: 'retrospective', searchText: text, task, model: args.model, withHistory: false },
      context,
    ),
  );
}

export interface Training extends Consultation {
  reader: { text: string; model: string };
  writer: { text: string; model: string };
}

export async function trainer(deps: ConsultDeps, args: { model?: string }, context: CallContext): Promise<Training> {
  const { entries, text } = await sessionLog(deps, context.sessionId);
  const projectRoot = entries.findLast((e) => e.project_root)?.project_root ?? null;
  return logged(deps, { skill: 'trainer', phase: 'trainer', projectRoot, sessionId: context.sessionId }, async () => {
    const reader = await runConsultation(
      deps,
      { family: 'trainer', phase: 'trainer', discipline: 'trainer-reader', searchText: text, task: logTask('trainer: find learning moments', context.sessionId, entries, text), model: args.model, withHistory: false },
      context,
    );
    const writer = await runConsultation(
      deps,
      {
        family: 'trainer',
        phase: 'trainer',
        discipline: 'trainer-writer',
        searchText: reader.text,
        task: { phase: 'trainer: write knowledge entries', projectRoot, fields: [['Learning moments found by the reader', reader.text]], attachments: [] },
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
      reader: { text: reader.text, model: reader.model },
      writer: { text: writer.text, model: writer.model },
    };
  });
}
