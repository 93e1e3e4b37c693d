/**
 * The workflows as MCP prompts, which Claude Code offers as slash commands
 * (`/mcp__supervisor__tdd_cycle`): each expands to one user message telling the agent which
 * supervisor tools to call, with which arguments, and what to do with each answer. Arguments are
 * completed where the server knows the values: project_root from SUPERVISOR_PROJECT_ROOTS,
 * session_id from the session logs.
 */
import { isAbsolute } from 'node:path';
import { ProtocolError, ProtocolErrorCode, type CompleteResult, type GetPromptResult, type ListPromptsResult } from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { Deps } from '../deps.js';
import { refusal } from '../tools/define.js';
import { SESSION_ID_PATTERN } from '../../common/consultation-contract.js';
import { COMPLETION_MAX } from './resources/kind.js';
import { completion } from './resources/index.js';

/** A prompt argument is typed by a person: a spec of a few pages at most. */
export const PROMPT_ARGUMENT_CHARS = 20_000;

const bounded = (name: string, max = PROMPT_ARGUMENT_CHARS) => z.string().refine((value) => value.length <= max, `${name}: at most ${max} characters`);

type Completer = (value: string) => string[] | Promise<string[]>;

interface PromptSpec {
  name: string;
  title: string;
  description: string;
  args: z.ZodObject;
  /** Completers of the arguments the server knows values for. */
  complete: Record<string, Completer>;
  text(args: Record<string, string | undefined>): string;
}

export interface Prompts {
  readonly list: ListPromptsResult;
  get(name: string, args: Record<string, string> | undefined): GetPromptResult;
  /** Completes a prompt's argument; null when the prompt is none of ours. */
  complete(prompt: string, argument: { name: string; value: string }): Promise<CompleteResult | null>;
}

export function prompts(deps: Pick<Deps, 'sessions' | 'projectRoots'>): Prompts {
  const projectRoot = bounded('project_root', 4096)
    .refine((path) => isAbsolute(path), 'project_root must be an absolute path')
    .optional()
    .describe('Absolute path; default: the project you are in.');
  const completeRoot: Completer = (value) => deps.projectRoots.filter((root) => root.startsWith(value)).slice(0, COMPLETION_MAX);
  const sessionId = z
    .string()
    .refine((id) => SESSION_ID_PATTERN.test(id), 'session_id: 1–128 letters, digits, - or _')
    .optional()
    .describe('The session to end: the session_id its consulting answers gave.');
  const completeSession: Completer = async (prefix) => {
    if (prefix !== '' && !SESSION_ID_PATTERN.test(prefix)) return [];
    // One more than shown: the answer then says there are more.
    return (await deps.sessions.list({ prefix, limit: COMPLETION_MAX + 1 })).sessions.map((s) => s.id);
  };

  const specs: PromptSpec[] = [
    {
      name: 'tdd_cycle',
      title: 'TDD cycle',
      description: 'Red, green, refactor on a spec, with the tdd tools.',
      args: z.object({ spec: bounded('spec').min(1, 'spec must not be empty').describe('The behaviour wanted.'), project_root: projectRoot }),
      complete: { project_root: completeRoot },
      text: ({ spec, project_root }) => tddCycle(spec ?? '', project_root),
    },
    {
      name: 'review_changes',
      title: 'Review before commit',
      description: 'Review the uncommitted changes before a commit.',
      args: z.object({ project_root: projectRoot, focus: bounded('focus', 2000).optional().describe('What to look at most.') }),
      complete: { project_root: completeRoot },
      text: ({ project_root, focus }) => reviewChanges(project_root, focus),
    },
    {
      name: 'end_session',
      title: 'End-of-session retrospective',
      description: 'Retrospective and trainer on a session, saving what was learned to the brain.',
      args: z.object({ session_id: sessionId }),
      complete: { session_id: completeSession },
      text: ({ session_id }) => endSession(session_id),
    },
  ];
  const byName = new Map(specs.map((spec) => [spec.name, spec]));

  return {
    list: { prompts: specs.map(listed) },

    get(name, args) {
      const spec = byName.get(name);
      if (!spec) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${name.slice(0, 100)} not found: prompts/list names them`);
      const checked = spec.args.safeParse(args ?? {});
      if (!checked.success) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid arguments for prompt ${name}: ${refusal(checked.error)}`);
      return say(spec.text(checked.data as Record<string, string | undefined>));
    },

    async complete(prompt, argument) {
      const spec = byName.get(prompt);
      if (!spec) return null;
      const completer = spec.complete[argument.name];
      return completion(completer ? await completer(argument.value) : []);
    },
  };
}

/** A prompt as prompts/list shows it: its arguments with their descriptions and whether each is required. */
function listed(spec: PromptSpec): ListPromptsResult['prompts'][number] {
  const shape = spec.args.shape as Record<string, z.ZodType>;
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    arguments: Object.entries(shape).map(([name, schema]) => ({
      name,
      ...(schema.description ? { description: schema.description } : {}),
      required: !schema.safeParse(undefined).success,
    })),
  };
}

const say = (text: string): GetPromptResult => ({ messages: [{ role: 'user', content: { type: 'text', text } }] });

/** How the agent names the project root in a call's arguments. */
const rootOf = (projectRoot: string | undefined) => (projectRoot ? JSON.stringify(projectRoot) : '"<the absolute path of this project\'s root>"');

const ATTACHING =
  'Through the supervisor bridge the files you name are attached for you. Connected to the server directly, check each answer\'s `files`: when a file you named was not read, call again with its content in `attachments: [{"path": …, "content": …}]`.';

function tddCycle(spec: string, projectRoot: string | undefined): string {
  const root = rootOf(projectRoot);
  return `Build the following spec test-first, one behaviour at a time, with the supervisor tools.

<spec>
${spec}
</spec>

For every behaviour of the spec, in the order the consultant suggests:

1. Red: call \`tdd_red\` with {"project_root": ${root}, "spec": <the spec above>, "test_cmd": <the command that runs this project's tests>}. Write the one failing test it proposes and run it: it must fail, for the reason the answer gives. If it passes or fails for another reason, fix the test before going on.
2. Green: call \`tdd_green\` with {"project_root": ${root}, "test_path": <the test file, relative to the root>, "test_cmd": <same>}. Write the least code it proposes, no more, and run the tests until all pass.
3. Refactor: call \`tdd_refactor\` with {"project_root": ${root}, "test_path": <same>, "impl_path": <the file you changed to pass it>, "test_cmd": <same>}. Apply its steps one at a time, running the tests after each; undo any step that turns a test red.

Use one session for the whole cycle: the first answer gives a \`session_id\`; pass it to every later call, so each phase sees what the others concluded. ${ATTACHING}

When the spec is covered, tell me which behaviours were built, which test shows each, and anything the consultants advised that you did not do, with why.`;
}

function reviewChanges(projectRoot: string | undefined, focus: string | undefined): string {
  const root = rootOf(projectRoot);
  const focusLine = focus ? `\nFocus on: ${focus}\n` : '';
  return `Review the changes not yet committed in ${projectRoot ?? "this project"}, with the supervisor tools, before anything is committed.
${focusLine}
1. Run \`git status --porcelain\` and \`git diff HEAD\` there (new files too: \`git diff HEAD\` leaves untracked files out, so name them yourself).
2. Call \`review\` with {"project_root": ${root}, "files": [<every changed or new file, relative to the root, at most 200>], "attachments": [{"path": "changes.diff", "content": <the output of git diff HEAD>}], "context": ${JSON.stringify(`Changes about to be committed.${focus ? ` Focus: ${focus}` : ''}`)}}.
3. Read the findings (CRITICAL, WARNING, SUGGESTION, each with file:line). Fix every CRITICAL one, and every WARNING unless you can say why it does not apply here; run the tests after the fixes.

${ATTACHING}

Do not commit. Tell me the findings, what you fixed, what you left and why, and wait for my go-ahead.`;
}

function endSession(sessionId: string | undefined): string {
  const session = `{"session_id": ${sessionId ? JSON.stringify(sessionId) : '<the session_id this session\'s consulting answers gave>'}, "save": true}`;
  return `End this session by saving what it taught, with the supervisor tools.

1. Call \`retrospective\` with ${session}. It reads the session's consultations and answers with the learnings worth keeping, each with its context, evidence and recommendation.
2. Call \`trainer\` with ${session}. It drafts brain entries from the session's learning moments and saves them to the brain, each checked against the notes already there: its result lists every entry as created, appended to an existing note, or skipped as a duplicate of one.
3. Do not call \`brain_write\` for entries the trainer saved: they are in the brain already.

Then tell me the learnings in short, and for each entry what happened to it (created as …, appended to …, skipped as a duplicate of …).`;
}
