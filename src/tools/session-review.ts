/**
 * What retrospective and trainer share: they read a session log instead of code (its end, entries left
 * out counted), take only session_id, model and save, log their call to the session they read, and
 * with `save: true` write what they drafted to the brain, never a second copy (src/knowledge/save.ts).
 */
import { chainOf, smallestWindow, type CallContext, type Consultation } from '../consult/consultation.js';
import { logged } from '../consult/session-entry.js';
import { readSessionLog, type ReadLog } from '../consult/session-review.js';
import type { Deps } from '../deps.js';
import type { DraftedEntry } from '../knowledge/entries.js';
import { saveEntries, type SavedEntry } from '../knowledge/save.js';
import { sessionReviewArgs } from './arguments.js';
import { consultationAnswer, consultationOutput } from './consulting.js';
import { defineTool, type Input, type Tool } from './define.js';

export interface SessionReviewSpec<Result extends Consultation> {
  /** The tool name, also its models.yaml family, phase, session-log skill and its notes' `source`. */
  name: 'retrospective' | 'trainer';
  title: string;
  description: string;
  review(deps: Deps, log: ReadLog, args: Input<typeof sessionReviewArgs>, call: CallContext): Promise<Result>;
  /** The entries the review drafted, as `save: true` writes them. */
  drafted(result: Result): DraftedEntry[];
}

export function sessionReviewTool<Result extends Consultation>(spec: SessionReviewSpec<Result>): Tool {
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    kind: 'consult',
    addsNotes: true,
    family: spec.name,
    session: 'read',
    input: sessionReviewArgs,
    output: consultationOutput,
    run: async (args, { deps, call }) => {
      // Read only what the chain's smallest window could show (the chain runConsultation asks).
      const window = smallestWindow(deps, chainOf(deps, { family: spec.name, model: args.model }));
      const log = await readSessionLog(deps, call.sessionId, window);
      const result = await logged(deps, { skill: spec.name, phase: spec.name, projectRoot: log.projectRoot, sessionId: call.sessionId, arguments: args }, async () => {
        const reviewed = await spec.review(deps, log, args, call);
        if (!args.save) return reviewed;
        call.onProgress?.('saving the drafted entries to the brain');
        const saved = await inTurn(deps.brain, () => saveEntries(deps.brain, spec.drafted(reviewed), { source: spec.name, sessionId: call.sessionId }));
        // First in the text: the session log keeps an answer's start, and this is what the call changed.
        return { ...reviewed, text: `${savedSection(saved)}\n\n${reviewed.text}`, saved };
      });
      return consultationAnswer(result);
    },
  });
}

/**
 * The save of one call at a time, per brain. Each save searches, then writes what the search did not
 * find: two calls saving the same lesson at once would both find nothing and both create it. Taking
 * turns, the second one's search finds the first one's note. (Across processes — several MCP
 * replicas on one brain — save.ts makes racing writers converge instead.)
 */
const saving = new WeakMap<object, Promise<unknown>>();
function inTurn<T>(brain: object, save: () => Promise<T>): Promise<T> {
  const before = saving.get(brain) ?? Promise.resolve();
  const mine = before.then(save);
  // The next save waits for this one to end, however it ends; it never sees this one's failure.
  saving.set(brain, mine.catch(() => undefined));
  return mine;
}

/** What became of each drafted entry, one line each, as the answer's first section. */
export function savedSection(saved: readonly SavedEntry[]): string {
  if (saved.length === 0) return '## Saved to the brain\n\nNothing: the answer drafted no entry (none, or none in the format the discipline asks for).';
  const line = (s: SavedEntry) => {
    const title = `"${s.title}"`;
    switch (s.outcome) {
      case 'created':
        return `- created ${s.path}: ${title}`;
      case 'appended':
        return `- appended to ${s.path} (similarity ${s.similarity}): ${title}`;
      case 'skipped':
        return `- skipped as a duplicate of ${s.path} (similarity ${s.similarity}): ${title}`;
      case 'failed':
        return `- not saved: ${title}: ${s.error}`;
    }
  };
  return `## Saved to the brain\n\n${saved.map(line).join('\n')}`;
}
