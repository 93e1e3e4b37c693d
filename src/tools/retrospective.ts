import { runConsultation } from '../consult/consultation.js';
import { logged } from '../consult/session-entry.js';
import { logTask, readSessionLog, withEarlier } from '../consult/session-review.js';
import { sessionReviewArgs } from './arguments.js';
import { consultationAnswer, consultationOutput } from './consulting.js';
import { defineTool } from './define.js';

/** Learnings worth keeping, from a session log's consultations. */
export const retrospective = defineTool({
  name: 'retrospective',
  description: "Learnings worth keeping from a session's consultations.",
  kind: 'consult',
  input: sessionReviewArgs,
  output: consultationOutput,
  run: async (args, { deps, call }) => {
    const log = await readSessionLog(deps, call.sessionId);
    const task = logTask('retrospective', call.sessionId, log);
    const result = await logged(deps, { skill: 'retrospective', phase: 'retrospective', projectRoot: log.projectRoot, sessionId: call.sessionId }, async () => {
      const consulted = await runConsultation(
        deps,
        { family: 'retrospective', phase: 'retrospective', discipline: 'retrospective', searchText: log.text, task, model: args.model, withHistory: false },
        call,
      );
      return { ...consulted, cut: withEarlier(consulted.cut, log) };
    });
    return consultationAnswer(result);
  },
});
