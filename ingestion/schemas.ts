/** The request bodies of the ingestion API, as zod schemas: validation and documentation in one. */
import { z } from 'zod';
import { fieldValueProblem } from './frontmatter.js';

const RESERVED = new Set(['content', 'filename', 'mode']);
const text = (what: string, max: number) =>
  z
    .string({ error: `must be a string (${what})` })
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters or line breaks');
const tags = z
  .union([z.array(text('a tag', 100)).max(50, 'must list at most 50 tags'), text('comma-separated tags', 2000)], {
    error: 'must be a list of strings or a comma-separated string',
  })
  .describe('Tags: a list, or one comma-separated string.');

// One set of rules for a note's fields, whoever sends them: POST /write checks them with WriteBody,
// and the Brain itself checks them again with NoteFields, so brain_write over MCP in the embedded
// mode refuses exactly what POST /write refuses, with the same words.
const noteFieldShape = {
  title: text('the title', 300).optional(),
  type: text('the note type', 100).optional().describe('Kind of note, e.g. pattern, correction, decision.'),
  domain: text('the domain', 100).optional().describe('Area the note is about, e.g. testing, api.'),
  tags: tags.optional(),
};

/** Frontmatter fields one write may set: setting each costs a search of the note's keys. */
export const MAX_FIELDS = 64;

function usableKeys(body: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const keys = Object.keys(body).filter((key) => !RESERVED.has(key));
  if (keys.length > MAX_FIELDS) {
    ctx.addIssue({ code: 'custom', path: [], message: `a write may set at most ${MAX_FIELDS} frontmatter fields (got ${keys.length})` });
    return;
  }
  for (const key of keys) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'is not a usable frontmatter key (letters, digits, _ . -)' });
      continue;
    }
    // Any value is accepted as given, but it must fit a frontmatter: bounded in depth and size.
    const problem = key in noteFieldShape ? null : fieldValueProblem(body[key]);
    if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem.replace(/^frontmatter /, '') });
  }
}

/** The frontmatter fields of a write: title, type, domain, tags and any other usable key. */
export const NoteFields = z.object(noteFieldShape).catchall(z.unknown()).superRefine(usableKeys);

export const WriteBody = z
  .object({
    content: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .refine((value) => value.trim().length > 0, 'must not be empty')
      .describe('The note, markdown; may start with its own YAML frontmatter.'),
    filename: z
      .string({ error: 'must be a string' })
      .optional()
      .describe('Path under knowledge/, folders separated by /; .md is appended when missing. Default: from the title, else the date.'),
    mode: z
      .enum(['create', 'overwrite', 'append'], { error: 'must be one of create, overwrite, append' })
      .default('create')
      .describe('create (default) refuses to replace an existing note; overwrite replaces it; append adds to it.'),
    ...noteFieldShape,
  })
  // Any other key becomes a frontmatter key of the note, as given.
  .catchall(z.unknown())
  .superRefine(usableKeys);

/** POST /query's body; the Brain checks every search with it too (`query` is the search text). */
export const QueryBody = z.object({
  query: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .refine((value) => value.trim().length > 0, 'must not be empty')
    .max(10_000, 'must be at most 10000 characters')
    .describe('Keywords or a whole prompt; common words are ignored.'),
  limit: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(50, 'must be at most 50')
    .default(5),
  type: text('the note type', 100).optional(),
  domain: text('the domain', 100).optional(),
  tags: tags.optional().describe('Only notes carrying every one of these tags.'),
});

export type WriteBody = z.infer<typeof WriteBody>;
export type QueryBody = z.infer<typeof QueryBody>;

/** The first problem of a failed parse, as one line that names the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request body';
  if (issue.path.length === 0) return issue.code === 'invalid_type' ? 'request body must be a JSON object' : issue.message;
  return `${issue.path.join('.')} ${issue.message}`;
}
