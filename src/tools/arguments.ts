/**
 * Arguments the tools share, with their bounds (src/tools/limits.ts) and the validation messages a
 * caller sees. Descriptions are terse on purpose: every tool's schema is sent to every Claude Code
 * user's context.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { SESSION_ID_PATTERN } from '../../common/consultation-contract.js';
import { LIMITS, maxChars, maxEntries, modelArg, optionalText } from './limits.js';
import { PANEL_SIZE } from '../consult/panel.js';

/** A required text argument whose absence is reported by name ("test_path is required"), bounded to `max` characters. */
export const required = (name: string, max: number = LIMITS.textChars) =>
  maxChars(
    z.string({ error: (issue) => (issue.input === undefined ? `${name} is required` : `${name} must be a string`) }).min(1, `${name} must not be empty`),
    name,
    max,
  );

export const projectRoot = required('project_root', LIMITS.projectRootChars).refine((p) => isAbsolute(p), 'project_root must be an absolute path').describe('Absolute path.');

/** review, debug and spec: what else the consultant should know. */
export const contextArg = optionalText('context').describe('Anything else.');

/** The tdd tools' `test_cmd`. */
export const testCmd = optionalText('test_cmd', LIMITS.commandChars).describe('e.g. npm test');

/**
 * tdd_green / tdd_refactor: the output of the test run after the previous step, which the consultant
 * reads and which tells whether that step's advice worked.
 */
export const testOutput = optionalText('test_output').describe('Of the last test run.');

/** review / debug: several models at once, their answers merged (src/consult/panel.ts). */
export const panelArg = z
  .union([z.boolean(), maxEntries(z.array(modelArg), 'panel', PANEL_SIZE.max)], { error: 'panel must be true or a list of model names' })
  .optional()
  .describe(`true (the chain) or ${PANEL_SIZE.min}–${PANEL_SIZE.max} models.`);

// A refinement, not a published `pattern`, like the other bounds (src/tools/limits.ts): eight tools
// take it, and tools/list is read into every Claude Code user's context.
const sessionId = z
  .string()
  .refine((id) => SESSION_ID_PATTERN.test(id), 'session_id: 1–128 letters, digits, - or _')
  .optional();

/** Arguments every consulting tool takes (docs/mcp.md). */
export const commonArgs = {
  model: modelArg.describe('Instead of the chain.'),
  session_id: sessionId.describe("Omit at first; then the answer's."),
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
    .describe('Files or a diff.'),
};

/** retrospective and trainer: which session to read, the model, and whether to save what they draft. */
export const sessionReviewArgs = {
  session_id: sessionId.describe('From consulting answers.'),
  model: commonArgs.model,
  save: z.boolean({ error: 'save must be true or false' }).optional().describe('Write its entries to the brain.'),
};
