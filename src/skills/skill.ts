/**
 * What a consulting skill is: a name and arguments for the MCP client, a discipline for the model,
 * and how its arguments become the task, the brain query and the files to attach.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { SESSION_ID_PATTERN } from '../session/log.js';
import { LIMITS, maxChars, maxEntries, modelArg } from './limits.js';
import type { TaskField } from './prompt.js';

/** A required text argument whose absence is reported by name ("test_path is required"), bounded to `max` characters. */
export const required = (name: string, max: number = LIMITS.textChars) =>
  maxChars(
    z.string({ error: (issue) => (issue.input === undefined ? `${name} is required` : `${name} must be a string`) }).min(1, `${name} must not be empty`),
    name,
    max,
  );

export const projectRoot = required('project_root', LIMITS.projectRootChars).refine((p) => isAbsolute(p), 'project_root must be an absolute path').describe('Absolute path.');

// Descriptions are terse on purpose: every tool's schema is sent to every Claude Code user's context.

/** Arguments every consulting tool takes (docs/mcp.md). */
export const commonArgs = {
  model: modelArg.describe('Override the model chain.'),
  session_id: z.string().regex(SESSION_ID_PATTERN, 'session_id: 1–128 letters, digits, - or _').optional().describe('Default: this MCP session.'),
};

/** The code to show the consultant: files, or a diff under a name like changes.diff. */
export const codeArgs = {
  attachments: maxEntries(
    z.array(
      z.object({
        path: maxChars(z.string(), 'attachments[].path', LIMITS.pathChars),
        content: maxChars(z.string(), 'attachments[].content', LIMITS.textChars),
      }),
    ),
    'attachments',
    LIMITS.attachments,
  )
    .optional()
    .describe('Files (relative path, content) or a diff.'),
};

export type Args = Record<string, unknown> & {
  model?: string;
  session_id?: string;
  project_root?: string;
  attachments?: Array<{ path: string; content: string }>;
};

export interface ConsultingSkill {
  /** The MCP tool name. */
  name: string;
  /** models.yaml key (`skills.<family>.chain`) and session log `skill`. */
  family: string;
  phase: string;
  /** Discipline file in SUPERVISOR_CONFIG_DIR, without .md. */
  discipline: 'tdd' | 'review' | 'debug' | 'spec';
  description: string;
  inputSchema: z.ZodRawShape;
  /** The call's arguments as labelled task fields, in reading order. */
  fields(args: Args): TaskField[];
  /** Files (relative to project_root) the call names, to attach. */
  files?(args: Args): string[];
}

/** Labelled fields for the arguments that are set, named by argument (as `cut.fields` reports them). */
export function present(args: Args, labels: Record<string, string>): TaskField[] {
  return Object.entries(labels).flatMap(([key, label]): TaskField[] => {
    const value = args[key];
    if (value === undefined || value === null || value === '') return [];
    return [[label, Array.isArray(value) ? value.join(', ') : String(value), { name: key }]];
  });
}
