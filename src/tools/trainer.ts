import { runConsultation } from '../consult/consultation.js';
import { parseTrainerEntries } from '../knowledge/entries.js';
import { logTask, taskWords, withEarlier } from '../consult/session-review.js';
import { sessionReviewTool } from './session-review.js';

/**
 * Two calls: a reader finds the learning moments of a session log, a writer drafts brain entries from
 * them. By default the caller decides what enters the brain (brain_write); with `save: true` the
 * writer's entries are saved, each checked against the notes already there (src/knowledge/save.ts).
 */
export const trainer = sessionReviewTool({
  name: 'trainer',
  title: 'Trainer',
  description: "A session's learning moments, drafted as brain entries.",
  review: async (deps, log, args, call) => {
    const reader = await runConsultation(
      deps,
      { family: 'trainer', phase: 'trainer', discipline: 'trainer-reader', searchText: taskWords(log.entries), task: logTask('trainer: find learning moments', call.sessionId, log), model: args.model, withHistory: false },
      call,
    );
    const writer = await runConsultation(
      deps,
      {
        family: 'trainer',
        phase: 'trainer',
        discipline: 'trainer-writer',
        searchText: reader.text,
        task: { phase: 'trainer: write knowledge entries', projectRoot: log.projectRoot, fields: [['Learning moments found by the reader', reader.text, { name: 'learning_moments' }]], attachments: [] },
        model: args.model,
        withHistory: false,
      },
      call,
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
  },
  drafted: (result) => parseTrainerEntries(result.writer.text),
});
