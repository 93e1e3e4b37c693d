/**
 * The brain service's session-log API (docs/brain.md, "Session logs"): in team mode every MCP server
 * replica writes its consulting calls' log lines there and reads them back, so a session's history is
 * whole whichever replica served each call. The shapes and bounds both sides rely on, like
 * brain-contract.ts for the notes.
 */
import { z } from 'zod';
import { SESSION_ID_PATTERN } from './consultation-contract.js';

/** The longest log line the service takes: an entry is a few KiB (src/session/log.ts ENTRY_LIMITS). */
export const SESSION_LINE_MAX_BYTES = 64 * 1024;
/** What a read returns when it names no `tail_bytes`: about as much as a consulting call's history reads. */
export const DEFAULT_SESSION_TAIL_BYTES = 256 * 1024;
/** The most of a log's end one read returns: more than any reader needs (a retrospective reads 512 KiB). */
export const MAX_SESSION_TAIL_BYTES = 1024 * 1024;
/** New logs the service starts per minute when INGEST_NEW_SESSIONS_PER_MINUTE is not set: a flood of sessions is bounded. */
export const DEFAULT_NEW_SESSIONS_PER_MINUTE = 600;
/** Response headers of a read: the lines before those sent (counted), and whether that count is exact. */
export const EARLIER_LINES_HEADER = 'x-earlier-lines';
export const EARLIER_EXACT_HEADER = 'x-earlier-exact';

export const SessionIdParam = z.object({
  id: z.string().regex(SESSION_ID_PATTERN, 'must be 1–128 letters, digits, - or _').describe('The session id.'),
});

/** POST /sessions/{id}: one entry, as the MCP server logs a call (src/session/log.ts SessionEntry). Other fields are kept as sent. */
export const SessionLine = z
  .looseObject({
    skill: z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') }).min(1, 'must not be empty').describe('The tool the call was.'),
    session_id: z.string().optional().describe("The session's id; when given, it must be the path's."),
  })
  .describe('One call of the session, stored as one JSON line.');

export const SessionAppended = z.object({
  session_id: z.string(),
  created: z.boolean().describe("True when this line started the session's log."),
});
export type SessionAppended = z.infer<typeof SessionAppended>;

export const SessionTailRequest = z.object({
  tail_bytes: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_SESSION_TAIL_BYTES, `must be at most ${MAX_SESSION_TAIL_BYTES} (MAX_SESSION_TAIL_BYTES)`)
    .default(DEFAULT_SESSION_TAIL_BYTES)
    .describe(`The whole lines within the log's last this many bytes are sent. Default ${DEFAULT_SESSION_TAIL_BYTES}.`),
});

export const SessionListRequest = z.object({
  prefix: z.string().regex(/^[A-Za-z0-9_-]{0,128}$/, 'must be letters, digits, - or _').optional().describe('Only sessions whose id starts with this.'),
  after: z.string().max(200, 'must be at most 200 characters').optional().describe("The cursor: the previous page's next."),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(100),
});

export const SessionListing = z.object({
  sessions: z.array(z.object({ id: z.string(), modified: z.string().optional(), bytes: z.number().optional() })),
  next: z.string().nullable().describe('Pass as after for the next page; null at the end.'),
  order: z.enum(['newest first', 'by name']).describe('By name when the folder holds more logs than are stat-ed for a listing.'),
});
