/**
 * What retrospective and trainer share: they read a session log instead of code (its end, entries left
 * out counted), take only session_id and model, and log their call to the session they read.
 */
import { chainOf, smallestWindow, type CallContext, type Consultation } from '../consult/consultation.js';
import { logged } from '../consult/session-entry.js';
import { readSessionLog, type ReadLog } from '../consult/session-review.js';
import type { Deps } from '../deps.js';
import { sessionReviewArgs } from './arguments.js';
import { consultationAnswer, consultationOutput } from './consulting.js';
import { defineTool, type Input, type Tool } from './define.js';

export interface SessionReviewSpec {
  /** The tool name, also its models.yaml family, phase and session-log skill. */
  name: 'retrospective' | 'trainer';
  title: string;
  description: string;
  review(deps: Deps, log: ReadLog, args: Input<typeof sessionReviewArgs>, call: CallContext): Promise<Consultation>;
}

export function sessionReviewTool(spec: SessionReviewSpec): Tool {
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    kind: 'consult',
    family: spec.name,
    input: sessionReviewArgs,
    output: consultationOutput,
    run: async (args, { deps, call }) => {
      // Read only what the chain's smallest window could show (the chain runConsultation asks).
      const window = smallestWindow(deps, chainOf(deps, { family: spec.name, model: args.model }));
      const log = await readSessionLog(deps, call.sessionId, window);
      const result = await logged(deps, { skill: spec.name, phase: spec.name, projectRoot: log.projectRoot, sessionId: call.sessionId, arguments: args }, () =>
        spec.review(deps, log, args, call),
      );
      return consultationAnswer(result);
    },
  });
}
