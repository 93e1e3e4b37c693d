/**
 * The ingestion service's HTTP API (docs/brain.md). `buildApp` configures and returns the fastify
 * instance without listening; `service.ts` opens the brain and listens.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifySchemaCompiler } from 'fastify';
import { jsonSchemaTransform, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  BRAIN_CONTRACT_VERSION,
  describeIssue,
  ErrorBody,
  HealthResponse,
  NoteListing,
  NoteListRequest,
  NotePath,
  NoteResponse,
  QueryBody,
  QueryResponse,
  ReadyResponse,
  WriteBody,
  WriteResult,
} from '../common/brain-contract.js';
import { bearerTokenCheck } from '../common/http/bearer.js';
import { hostGuard } from '../common/http/host-guard.js';
import { guardRoutes } from '../common/http/route-guard.js';
import { SessionLogFiles } from '../common/session-log/files.js';
import { DEFAULT_NEW_SESSIONS_PER_MINUTE } from '../common/session-contract.js';
import type { Brain } from './brain.js';
import { BrainError } from './errors.js';
import { IngestionMetrics } from './metrics.js';
import { BadNoteName } from './note-names.js';
import { sessionRoutes } from './session-routes.js';
import { WEB_ROUTES, webPage } from './web/routes.js';
import type { WebSources } from './web/sources.js';

export const BODY_LIMIT = 1024 * 1024;

export interface AppOptions {
  brain: Brain;
  logger: Logger;
  /** When set, every route but the public ones requires `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** The address listened on (default loopback): decides which Host names pass the DNS-rebinding guard. */
  bindHost?: string | undefined;
  /** Host names accepted besides loopback (INGEST_ALLOWED_HOSTS). */
  allowedHosts?: string[] | undefined;
  /** The session logs the /sessions API serves (the MCP server's replicas write them in team mode); default: sessions/ in the brain folder. */
  sessions?: SessionLogFiles | undefined;
  /** New session logs started a minute at most (INGEST_NEW_SESSIONS_PER_MINUTE). */
  newSessionsPerMinute?: number | undefined;
  /** What the web page shows besides the notes and the session logs: the eval scoreboard, when this process has one. */
  web?: WebSources | undefined;
}

/**
 * Routes that answer without a token and without the Host/Origin check: probes (kubelet, Docker)
 * and the metrics scrape, which cannot send a token and reach the pod by its IP. They read
 * nothing from the brain and change nothing: liveness, readiness and counts only.
 */
export const PUBLIC_ROUTES = ['/health', '/ready', '/metrics'] as const;

export function buildApp({ brain, logger, token, bindHost = '127.0.0.1', allowedHosts = [], web, ...options }: AppOptions): FastifyInstance {
  const sessions = options.sessions ?? new SessionLogFiles(join(brain.dir, 'sessions'));
  const newSessionsPerMinute = options.newSessionsPerMinute ?? DEFAULT_NEW_SESSIONS_PER_MINUTE;
  const metrics = new IngestionMetrics(() => (brain.ready ? brain.noteCount() : null));
  const app = Fastify({
    // pino's Logger and fastify's logger type differ only in typing details.
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // A session id is up to 128 characters (SESSION_ID_PATTERN); fastify's default refuses a parameter over 100 with 414.
    routerOptions: { maxParamLength: 256 },
    requestIdHeader: 'x-request-id',
    // Accept a caller's request id (so one id follows a call across services), but only a sane one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    },
  });

  // JSON only: fastify also parses text/plain by default, which a browser may send cross-site.
  app.removeContentTypeParser('text/plain');

  const unsubscribe = brain.onRescan((report) => {
    metrics.rescanDuration.observe(report.ms / 1000);
    metrics.rescanChanges.inc(report.indexed + report.removed);
  });
  app.addHook('onClose', async () => void unsubscribe());

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  // A web page the user visits must not plant notes through the browser (DNS rebinding): planted
  // notes would reach every consultant's prompt. Guarded by the route fastify matched, not the raw URL.
  guardRoutes(app, {
    publicRoutes: PUBLIC_ROUTES,
    // The web page checks its own sign-in (a cookie holding the same token): ingestion/web/auth.ts.
    ownCredentialRoutes: WEB_ROUTES,
    checkHost: hostGuard(bindHost, allowedHosts, 'INGEST_ALLOWED_HOSTS'),
    authorized: token ? bearerTokenCheck(token) : null,
    refuseHost: (reply, reason) => reply.code(403).send({ error: `forbidden: ${reason}` }),
    // 401 with a Bearer challenge: this API's callers are our own client and curl, not OAuth clients.
    refuseToken: (reply) =>
      reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="supervisor-ingestion"')
        .send({ error: 'missing or wrong bearer token: send Authorization: Bearer <INGEST_TOKEN>' }),
  });

  app.setErrorHandler((error: FastifyError | BrainError, request, reply) => {
    if (error instanceof BrainError) {
      if (error.status === 503) reply.header('retry-after', '1');
      return reply.code(error.status).send({ error: error.message, ...error.details });
    }
    if (error instanceof BadNoteName) return reply.code(400).send({ error: `bad filename: ${error.message}` });
    const status = 'statusCode' in error ? error.statusCode : undefined;
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: clientErrorMessage(error, request.routeOptions.bodyLimit ?? BODY_LIMIT) });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: `internal error; the service log has the details under request id ${request.id}` });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  // Bodies are checked by the contract's zod schemas (common/brain-contract.ts) before a handler runs,
  // and a refusal is the same one line as ever: `<field> <message>`, answered by the error handler.
  app.setValidatorCompiler(contractValidator);
  // Answers are sent as the handlers build them (JSON.stringify, as without schemas): the response
  // schemas document the contract and type the handlers; they do not filter what is sent.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.register(fastifySwagger, { openapi: OPENAPI_DOCUMENT, transform: jsonSchemaTransform });
  // Routes are added once the swagger plugin is loaded, so that it sees every one of them.
  app.register(contractRoutes(brain, sessions, metrics));
  app.register(sessionRoutes({ logs: sessions, metrics, newPerMinute: newSessionsPerMinute, refusals, guarded: GUARDED, security: TOKEN }));
  // The web page at / (docs/web.md): its own plugin, so its form parser and error pages stay its own.
  // A form carries a note percent-encoded: up to three bytes sent for each of the note's.
  app.register(webPage({ brain, token, sources: { ...web, sessions }, formLimit: 4 * BODY_LIMIT }));

  return app;
}

/**
 * The OpenAPI document's fixed part; the paths are generated from the routes' zod schemas by
 * @fastify/swagger with fastify-type-provider-zod's transform, and served at GET /openapi.json.
 */
const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'supervisor brain (ingestion service)',
    version: BRAIN_CONTRACT_VERSION,
    description: 'Writes and searches the notes of the brain. Every refusal answers { "error": "<one line>" }. docs/brain.md has examples.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'INGEST_TOKEN, when the service is started with one.' } },
  },
} as const;

/** Routes behind the token (when one is configured) and routes that answer anyone (PUBLIC_ROUTES). */
const TOKEN = [{ bearer: [] }];
const NO_TOKEN: [] = [];

/** Error answers of a route, by status, with what each status means there. */
function refusals(statuses: Record<number, string>): Record<number, z.ZodType> {
  return Object.fromEntries(Object.entries(statuses).map(([status, meaning]) => [status, ErrorBody.describe(meaning)]));
}
const GUARDED = { 401: 'Missing or wrong bearer token.', 403: 'Host or Origin refused (DNS-rebinding guard).' };

/** The brain's routes, each declared with the contract's schemas for its body and answers. */
function contractRoutes(brain: Brain, sessions: SessionLogFiles, metrics: IngestionMetrics): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/write',
      {
        schema: {
          summary: 'Write a note (create, overwrite or append).',
          body: WriteBody,
          response: {
            200: WriteResult.describe('The note was overwritten or appended to.'),
            201: WriteResult.describe('The note was created.'),
            ...refusals({
              400: 'The body breaks a rule; the line names the field.',
              ...GUARDED,
              409: 'A note exists at that path (mode create), or the note is not the version expected_sha256 names (sha256 is the current one, null if gone): nothing was changed.',
              413: 'Body over the limit.',
              422: 'The note has grown past the size a note is read whole at, and an append or a conditional write would read it: nothing was changed.',
              503: 'The brain is not available, or its disk is read-only: nothing was changed.',
              507: "No space left on the brain's disk, or its quota exceeded: nothing was changed; free space and retry.",
            }),
          },
          security: TOKEN,
        },
      },
      async (request, reply) => {
        try {
          const result = await brain.write(request.body);
          metrics.writes.inc({ result: result.action });
          return reply.code(result.action === 'created' ? 201 : 200).send(result);
        } catch (error) {
          const status = error instanceof BrainError ? error.status : error instanceof BadNoteName ? 400 : 500;
          metrics.writes.inc({ result: status === 409 ? 'conflict' : status === 400 ? 'bad_request' : 'failed' });
          throw error;
        }
      },
    );

    app.post(
      '/query',
      {
        schema: {
          summary: 'Search the notes: the best hits first.',
          body: QueryBody,
          response: { 200: QueryResponse, ...refusals({ 400: 'The body breaks a rule; the line names the field.', ...GUARDED, 503: 'The index is still loading.' }) },
          security: TOKEN,
        },
      },
      async (request) => {
        const timer = metrics.queryDuration.startTimer();
        const results = await brain.search(request.body);
        timer();
        return { results };
      },
    );

    app.get(
      '/notes',
      {
        schema: {
          summary: 'List the notes by path, a page at a time: optionally those under a path prefix.',
          querystring: NoteListRequest,
          response: { 200: NoteListing, ...refusals({ 400: 'A parameter breaks a rule; the line names it.', ...GUARDED, 503: 'The index is still loading.' }) },
          security: TOKEN,
        },
      },
      async (request) => brain.list(request.query),
    );

    app.get(
      '/notes/*',
      {
        schema: {
          summary: 'Read one note: JSON, or the file as written with Accept: text/markdown.',
          response: {
            200: {
              description: 'The note.',
              content: { 'application/json': { schema: NoteResponse }, 'text/markdown': { schema: z.string() } },
            },
            ...refusals({ 400: 'Not a usable note path.', ...GUARDED, 404: 'No note at that path.', 422: 'The note has grown past the size a note is read whole at.' }),
          },
          security: TOKEN,
        },
        // fastify names a wildcard `*`; the document names it `path`, as curl users write it.
        config: { swaggerTransform: (route) => jsonSchemaTransform({ ...route, url: '/notes/{path}', schema: { ...route.schema, params: NotePath } }) },
      },
      async (request, reply) => {
        const name = (request.params as { '*': string })['*'];
        const note = await brain.read(name);
        // The content hash as a strong validator: the same bytes whichever representation is asked for.
        reply.header('etag', `"${note.sha256}"`);
        if (/\btext\/markdown\b/.test(request.headers.accept ?? '')) {
          return reply.type('text/markdown; charset=utf-8').send(note.text);
        }
        const { text: _text, ...rest } = note;
        return rest;
      },
    );

    app.get('/health', { schema: { summary: 'Liveness: the process answers.', response: { 200: HealthResponse }, security: NO_TOKEN } }, async () => ({
      status: 'ok' as const,
    }));

    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics.',
          response: { 200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: z.string() } } } },
          security: NO_TOKEN,
        },
      },
      async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );

    app.get(
      '/ready',
      {
        schema: {
          summary: 'Readiness: 200 once searches can be answered.',
          response: { 200: ReadyResponse, 503: ReadyResponse.describe('Still loading (or rebuilding a damaged index from the notes), or the brain is unavailable: reason says why.') },
          security: NO_TOKEN,
        },
      },
      async (_request, reply) => {
        if (!brain.ready) {
          const damage = brain.damage;
          return reply
            .code(503)
            .send({ status: 'loading', ...(damage ? { reason: `the search index was found damaged (${damage}); it is being rebuilt from the notes` } : {}) });
        }
        const problem = brain.problem;
        if (problem) return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', reason: problem });
        return { status: 'ready' as const, notes: brain.noteCount(), generation: brain.generation, session_logs: sessions.generation };
      },
    );

    app.get(
      '/openapi.json',
      {
        schema: {
          summary: 'This document: the contract of every route, generated from the schemas the service validates with.',
          response: { 200: z.looseObject({ openapi: z.string() }), ...refusals(GUARDED) },
          security: TOKEN,
        },
      },
      // swagger() is typed for every Swagger/OpenAPI version; this one is configured as OpenAPI 3.1.
      async () => app.swagger() as unknown as { openapi: string },
    );
  };
}

/**
 * Checks a request part with its zod schema; a refusal carries the one line callers have always
 * had (`<field> <message>`), which the error handler answers as { error } with status 400.
 */
const contractValidator: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const parsed = schema.safeParse(data);
    return parsed.success ? { value: parsed.data } : { error: new Error(describeIssue(parsed.error)) };
  };

/** fastify's own 4xx messages, reworded where a caller would not know what to do. */
function clientErrorMessage(error: FastifyError, bodyLimit: number): string {
  switch (error.code) {
    case 'FST_ERR_VALIDATION':
      return error.message;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `request body is larger than ${bodyLimit >= 1024 * 1024 ? `${bodyLimit / 1024 / 1024} MiB` : `${bodyLimit / 1024} KiB`} (${bodyLimit} bytes), this route's limit`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'send the body as JSON with Content-Type: application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty; send a JSON object';
    default:
      if (error.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError) return `malformed JSON body: ${error.message}`;
      return error.message.replace(/\s+/g, ' ');
  }
}
