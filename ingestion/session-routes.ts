/**
 * The session-log API (docs/brain.md, "Session logs"): in team mode the MCP server's replicas append
 * each consulting call's log line here and read a session's end back, so no replica keeps anything
 * another needs. The logs are the same JSONL files the embedded default keeps
 * (common/session-log/files.ts): one whole line per call, torn lines skipped by readers.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NewLogRefused, NotALogFile, type SessionLogFiles } from '../common/session-log/files.js';
import { BadSessionCursor } from '../common/session-log/listing.js';
import {
  EARLIER_EXACT_HEADER,
  EARLIER_LINES_HEADER,
  SESSION_LINE_MAX_BYTES,
  SessionAppended,
  SessionIdParam,
  SessionLine,
  SessionListing,
  SessionListRequest,
  SessionTailRequest,
} from '../common/session-contract.js';
import { BrainError, diskFault } from './errors.js';
import type { IngestionMetrics } from './metrics.js';

export interface SessionRoutesOptions {
  logs: SessionLogFiles;
  metrics: IngestionMetrics;
  /** New logs started per minute at most (INGEST_NEW_SESSIONS_PER_MINUTE). */
  newPerMinute: number;
  /** Error answers by status, as the other routes document them. */
  refusals(statuses: Record<number, string>): Record<number, z.ZodType>;
  guarded: Record<number, string>;
  security: Array<Record<string, string[]>>;
  now?: () => number;
}

export function sessionRoutes({ logs, metrics, newPerMinute, refusals, guarded, security, now = Date.now }: SessionRoutesOptions): FastifyPluginAsyncZod {
  const starts = new StartsPerMinute(newPerMinute, now);
  return async (app) => {
    app.post(
      '/sessions/:id',
      {
        // One line, not a note: the route's own limit, named in the refusal (app.ts clientErrorMessage).
        bodyLimit: SESSION_LINE_MAX_BYTES,
        schema: {
          summary: "Append one call to a session's log (the MCP server does, in team mode).",
          params: SessionIdParam,
          body: SessionLine,
          response: {
            201: SessionAppended.describe('The line was written whole.'),
            ...refusals({
              400: 'A bad session id, or a body that is no entry; the line names the field.',
              ...guarded,
              409: 'The log\'s name is taken by something that is not a regular file (a symbolic link, a FIFO, a folder): nothing was written.',
              413: `Body over ${SESSION_LINE_MAX_BYTES} bytes.`,
              429: 'Too many new sessions this minute (INGEST_NEW_SESSIONS_PER_MINUTE): nothing was written; Retry-After says when.',
              503: "The brain's disk is read-only: nothing was written.",
              507: "No space left on the brain's disk: nothing was written.",
            }),
          },
          security,
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        if (request.body.session_id !== undefined && request.body.session_id !== id) {
          metrics.sessionLines.inc({ result: 'bad_request' });
          throw new BrainError(`session_id "${request.body.session_id.slice(0, 40)}" is not the path's session ${id}`, 400);
        }
        try {
          const { created } = await logs.appendLine(id, JSON.stringify({ ...request.body, session_id: id }), () => starts.take());
          metrics.sessionLines.inc({ result: created ? 'started' : 'written' });
          return reply.code(201).send({ session_id: id, created });
        } catch (error) {
          if (error instanceof NewLogRefused) {
            metrics.sessionLines.inc({ result: 'too_many_sessions' });
            const wait = starts.secondsLeft();
            reply.header('retry-after', String(wait));
            throw new BrainError(`too many new sessions: at most ${newPerMinute} start a minute (INGEST_NEW_SESSIONS_PER_MINUTE); nothing was written, retry in ${wait} s`, 429);
          }
          metrics.sessionLines.inc({ result: 'failed' });
          if (error instanceof NotALogFile) throw new BrainError(error.message, 409);
          throw diskFault(error, `the line of session ${id}`) ?? error;
        }
      },
    );

    app.get(
      '/sessions/:id',
      {
        schema: {
          summary: "Read the end of a session's log: its whole lines as written, oldest first (NDJSON).",
          params: SessionIdParam,
          querystring: SessionTailRequest,
          response: {
            200: {
              description: `One JSON entry a line, oldest first; empty when the session has no log. ${EARLIER_LINES_HEADER}: the lines before them; ${EARLIER_EXACT_HEADER}: false when that is a lower bound.`,
              content: { 'application/x-ndjson': { schema: z.string() } },
            },
            ...refusals({ 400: 'A bad session id or tail_bytes.', ...guarded, 409: 'The log\'s name is taken by something that is not a regular file: nothing is read.' }),
          },
          security,
        },
      },
      async (request, reply) => {
        const tail = await logs.tailLines(request.params.id, request.query.tail_bytes).catch((error: unknown) => {
          throw error instanceof NotALogFile ? new BrainError(error.message, 409) : error;
        });
        const body = tail.lines.length === 0 ? '' : `${tail.lines.map((line) => line.toString('utf8')).join('\n')}\n`;
        return reply
          .header(EARLIER_LINES_HEADER, String(tail.earlier))
          .header(EARLIER_EXACT_HEADER, String(tail.earlierExact))
          .type('application/x-ndjson; charset=utf-8')
          .send(body);
      },
    );

    app.get(
      '/sessions',
      {
        schema: {
          summary: 'List the sessions that have a log: newest first, a page at a time.',
          querystring: SessionListRequest,
          response: { 200: SessionListing, ...refusals({ 400: 'A parameter breaks a rule, or the cursor is not one a listing gave.', ...guarded }) },
          security,
        },
      },
      async (request) => {
        const { prefix, after, limit } = request.query;
        try {
          return await logs.list({ limit, ...(prefix === undefined ? {} : { prefix }), ...(after === undefined ? {} : { after }) });
        } catch (error) {
          if (error instanceof BadSessionCursor) throw new BrainError(`after ${error.message}: pass the next of the previous page`, 400);
          throw error;
        }
      },
    );
  };
}

/**
 * New logs a minute, counted in fixed one-minute windows from timestamps (no timer): a client that
 * invents a session id per call cannot fill the disk with logs faster than this.
 */
class StartsPerMinute {
  private windowStart = 0;
  private started = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {}

  take(): boolean {
    const now = this.now();
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.started = 0;
    }
    if (this.started >= this.perMinute) return false;
    this.started++;
    return true;
  }

  secondsLeft(): number {
    return Math.max(1, Math.ceil((this.windowStart + 60_000 - this.now()) / 1000));
  }
}
