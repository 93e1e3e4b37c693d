import { runConsultation } from '../consult/consultation.js';
import { parseRetrospectiveLearnings } from '../knowledge/entries.js';
import { logTask, taskWords, withEarlier } from '../consult/session-review.js';
import { sessionReviewTool } from './session-review.js';

/** Learnings worth keeping, from a session log's consultations. */
export const retrospective = sessionReviewTool({
  name: 'retrospective',
  title: 'Retrospective',
  description: "Learnings worth keeping from a session's consultations.",
  review: async (deps, log, args, call) => {
    const task = logTask('retrospective', call.sessionId, log);
    const consulted = await runConsultation(
      deps,
      { family: 'retrospective', phase: 'retrospective', discipline: 'retrospective', searchText: taskWords(log.entries), task, model: args.model, withHistory: false },
      call,
    );
    return { ...consulted, cut: withEarlier(consulted.cut, log) };
  },
  drafted: (result) => parseRetrospectiveLearnings(result.text),
});
