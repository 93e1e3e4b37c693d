/**
 * The brain's contract: every shape that crosses between the brain and its callers, defined once
 * with zod. The ingestion service's routes validate with these schemas (and publish them as
 * OpenAPI at GET /openapi.json), the Brain checks every write and search with them whoever calls,
 * and the MCP server's clients (in-process and HTTP) send and receive these types.
 *
 * Imports nothing from ingestion/ or src/: both sides depend on it, it depends on neither.
 */
import { z } from 'zod';
import { fieldValueProblem } from './frontmatter-bounds.js';
import { tagList } from './tags.js';

/** The version of this contract, published as the OpenAPI document's info.version: bump it when a shape changes. */
export const BRAIN_CONTRACT_VERSION = '1.1.0';
/** Hits a search returns when the caller names no limit. */
export const DEFAULT_QUERY_LIMIT = 5;
/** The most hits one search may ask for. */
export const MAX_QUERY_LIMIT = 50;
/** Frontmatter fields one write may set: setting each costs a search of the note's keys. */
export const MAX_FIELDS = 64;
/** Notes a listing answers when the caller names no limit. */
export const DEFAULT_LIST_LIMIT = 100;
/** The most notes one page of a listing may ask for. */
export const MAX_LIST_LIMIT = 1000;
/** The longest note path (UTF-8 bytes), as note names allow: a listing's prefix and cursor are bounded by it too. */
export const MAX_NOTE_PATH_BYTES = 1024;

const RESERVED = new Set(['content', 'filename', 'mode', 'expected_sha256']);
const text = (what: string, max: number) =>
  z
    .string({ error: `must be a string (${what})` })
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters or line breaks');
/** The most tags a write or a search may name, however they are spelt: a list, or one comma-separated string. */
export const MAX_TAGS = 50;
/** The longest tag, in characters. */
export const MAX_TAG_CHARS = 100;

const TOO_MANY_TAGS = `must name at most ${MAX_TAGS} tags, as a list or as a comma-separated string`;
const tooLongTag = (tag: string) => `"${Array.from(tag).slice(0, 20).join('')}…" is ${tag.length} characters long: a tag may have at most ${MAX_TAG_CHARS}`;

/** What breaks the tag limits in tags as the brain reads them (tagList), or null: the same words for every spelling. */
export function tagLimitProblem(tags: readonly string[]): string | null {
  if (tags.length > MAX_TAGS) return `${TOO_MANY_TAGS} (got ${tags.length})`;
  const long = tags.find((tag) => tag.length > MAX_TAG_CHARS);
  return long === undefined ? null : tooLongTag(long);
}

/** A comma-separated string held to the limits of a list: split as notes' tags are (tagList). */
function withinTagLimits(value: string, ctx: z.RefinementCtx): void {
  const problem = tagLimitProblem(tagList(value));
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

const tags = z
  .union(
    [
      z.array(text('a tag', MAX_TAG_CHARS)).max(MAX_TAGS, TOO_MANY_TAGS),
      text('comma-separated tags', 2000).superRefine(withinTagLimits),
    ],
    {
      // A list that breaks a list's rule is told that rule, not that it is neither spelling.
      error: (issue) => {
        const listProblem = issue.code === 'invalid_union' && Array.isArray(issue.input) ? issue.errors[0]?.[0] : undefined;
        return listProblem?.message ?? 'must be a list of strings or a comma-separated string';
      },
    },
  )
  .describe('A list, or one comma-separated string.');
/** A required, non-blank string whose refusal says "is required" when it is missing. */
const requiredText = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') }).refine((value) => value.trim().length > 0, 'must not be empty');

// One set of rules for a note's fields, whoever sends them: POST /write checks a write with WriteBody,
// and the Brain checks every write with WriteBody again, so brain_write over MCP in the embedded
// mode refuses exactly what POST /write refuses, with the same words.
const noteFieldShape = {
  title: text('the title', 300).optional(),
  type: text('the note type', 100).optional().describe('e.g. pattern, correction, decision'),
  domain: text('the domain', 100).optional().describe('e.g. testing, api'),
  tags: tags.optional(),
};

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
export type NoteFields = z.infer<typeof NoteFields>;

export const WriteMode = z
  .enum(['create', 'overwrite', 'append'], { error: 'must be one of create, overwrite, append' })
  .describe('create never replaces a note.');
export type WriteMode = z.infer<typeof WriteMode>;

/** A note's content hash: lowercase hex SHA-256 of its file's bytes as on disk. */
export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/).describe("Lowercase hex SHA-256 of the note's file as on disk.");

/** POST /write's body (brain_write's arguments): the note, where it goes, how, and its fields. */
export const WriteBody = z
  .object({
    content: requiredText().describe('Markdown, may start with its own frontmatter.'),
    filename: z
      .string({ error: 'must be a string' })
      .optional()
      .describe('Path under knowledge/; default: from the title.'),
    mode: WriteMode.default('create'),
    expected_sha256: z
      .string({ error: 'must be a string' })
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal characters: the sha256 of the note as you read it')
      .optional()
      .describe("Only if the note's sha256 is still this."),
    ...noteFieldShape,
  })
  // Any other key becomes a frontmatter key of the note, as given.
  .catchall(z.unknown())
  .superRefine(usableKeys)
  .describe('A note to write. Keys besides content, filename, mode and expected_sha256 become frontmatter fields of the note.');
/** A write as checked: `mode` filled in. */
export type WriteBody = z.infer<typeof WriteBody>;
/** A write as a caller sends it: `mode` may be left out. */
export type WriteRequest = z.input<typeof WriteBody>;

export const WriteResult = z.object({
  path: z.string().describe('Under knowledge/, e.g. testing/integer-cents.md.'),
  action: z.enum(['created', 'overwritten', 'appended']),
  sha256: Sha256.describe('The note as written: send it as expected_sha256 to change it again.'),
});
export type WriteResult = z.infer<typeof WriteResult>;

/** POST /query's body (brain_search's arguments); the Brain checks every search with it too. */
export const QueryBody = z.object({
  query: requiredText()
    .max(10_000, 'must be at most 10000 characters')
    .describe('Keywords or a question.'),
  limit: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_QUERY_LIMIT, `must be at most ${MAX_QUERY_LIMIT}`)
    .default(DEFAULT_QUERY_LIMIT)
    .describe(`Default ${DEFAULT_QUERY_LIMIT}.`),
  type: text('the note type', 100).optional(),
  domain: text('the domain', 100).optional(),
  tags: tags.optional().describe('Notes with all of these tags.'),
});
/** A search as checked: `limit` filled in. */
export type QueryBody = z.infer<typeof QueryBody>;
/** A search as a caller sends it: `limit` may be left out. */
export type QueryRequest = z.input<typeof QueryBody>;

export const SearchHit = z.object({
  path: z.string(),
  title: z.string(),
  excerpt: z.string().describe('The passage that matched best, on one line.'),
  score: z.number().describe('Higher is better; comparable within one answer only.'),
  sha256: Sha256,
});
export type SearchHit = z.infer<typeof SearchHit>;

export const QueryResponse = z.object({ results: z.array(SearchHit) });
export type QueryResponse = z.infer<typeof QueryResponse>;

/** GET /notes/<path> as JSON (with `Accept: text/markdown` the note's file is sent as written). */
export const NoteResponse = z.object({
  path: z.string(),
  title: z.string().describe('Frontmatter title, else the first # heading, else the file name.'),
  type: z.string().nullable(),
  domain: z.string().nullable(),
  tags: z.array(z.string()),
  frontmatter: z.record(z.string(), z.unknown()),
  body: z.string().describe('The markdown after the frontmatter.'),
  sha256: Sha256.describe("SHA-256 of the note's file as read (also the ETag): send it as expected_sha256 to change the note."),
});
export type NoteResponse = z.infer<typeof NoteResponse>;
/** The path parameter of GET /notes/<path>. */
export const NotePath = z.object({
  path: z.string().describe("The note's path under knowledge/, folders separated by / (percent-encoded as in any URL); .md may be left out."),
});

/** A note in a listing: by path, ordered by path. */
export const NoteSummary = z.object({ path: z.string(), title: z.string(), sha256: Sha256 });
export type NoteSummary = z.infer<typeof NoteSummary>;

const listText = (what: string) =>
  z
    .string({ error: 'must be a string' })
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
    .refine((value) => Buffer.byteLength(value) <= MAX_NOTE_PATH_BYTES, `must be at most ${MAX_NOTE_PATH_BYTES} bytes`)
    .describe(what);
/** GET /notes's query (a page of the listing). */
export const NoteListRequest = z.object({
  prefix: listText('Only notes whose path starts with this, e.g. testing/ or testing/fla.')
    .refine((value) => !value.startsWith('/') && !value.includes('\\'), 'must be relative to knowledge/, folders separated by /')
    .refine((value) => !value.split('/').some((segment) => segment === '.' || segment === '..'), 'must not contain . or .. segments')
    .optional(),
  after: listText("The cursor: the previous page's next.").optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_LIST_LIMIT, `must be at most ${MAX_LIST_LIMIT}`)
    .default(DEFAULT_LIST_LIMIT)
    .describe(`Default ${DEFAULT_LIST_LIMIT}.`),
});
/** A listing request as checked: `limit` filled in. */
export type NoteListQuery = z.infer<typeof NoteListRequest>;
/** A listing request as a caller sends it. */
export interface NoteListRequest {
  prefix?: string | undefined;
  after?: string | undefined;
  limit?: number | undefined;
}
export const NoteListing = z.object({
  notes: z.array(NoteSummary),
  next: z.string().nullable().describe('Pass as after for the next page; null at the end.'),
});
export type NoteListing = z.infer<typeof NoteListing>;

export const HealthResponse = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof HealthResponse>;
export const ReadyResponse = z.object({
  status: z.enum(['ready', 'loading', 'unavailable']),
  notes: z.number().int().nonnegative().optional().describe('Notes in the index, when ready.'),
  reason: z.string().optional().describe('Why the brain is unavailable.'),
  generation: z
    .string()
    .optional()
    .describe('Changes whenever notes were created, changed or removed, and when the service restarts; compare, never parse.'),
  session_logs: z
    .string()
    .optional()
    .describe('Changes whenever a new session log starts (POST /sessions/{id}), and when the service restarts; compare, never parse.'),
});
export type ReadyResponse = z.infer<typeof ReadyResponse>;

/** Every refusal and failure: one line that says what to do; `path` names the note concerned, if any. */
export const ErrorBody = z.object({
  error: z.string(),
  path: z.string().optional(),
  sha256: Sha256.nullable().optional().describe("On a 409 for expected_sha256: the note's current sha256, null if it is gone."),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The first problem of a failed parse, as one line that names the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request body';
  if (issue.path.length === 0) return issue.code === 'invalid_type' ? 'request body must be a JSON object' : issue.message;
  return `${issue.path.join('.')} ${issue.message}`;
}
