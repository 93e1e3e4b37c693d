/**
 * The ingestion service's HTTP API (docs/brain.md). `buildApp` configures and returns the fastify
 * instance without listening; `service.ts` opens the brain and listens.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { bearerTokenCheck } from '../src/http/bearer.js';
import { hostGuard } from '../src/http/host-guard.js';
import { guardRoutes } from '../src/http/route-guard.js';
import type { Brain } from './brain.js';
import { BrainError } from './errors.js';
import { BadNoteName } from './note-names.js';
import { describeIssue, QueryBody, WriteBody } from './schemas.js';
import { noteTags } from './frontmatter.js';
import { IngestionMetrics } from '../src/metrics/ingestion-metrics.js';

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
}

/**
 * Routes that answer without a token and without the Host/Origin check: probes (kubelet, Docker)
 * and the metrics scrape, which cannot send a token and reach the pod by its IP. They read
 * nothing from the brain and change nothing: liveness, readiness and counts only.
 */
export const PUBLIC_ROUTES = ['/health', '/ready', '/metrics'] as const;

export function buildApp({ brain, logger, token, bindHost = '127.0.0.1', allowedHosts = [] }: AppOptions): FastifyInstance {
  const metrics = new IngestionMetrics(() => (brain.ready ? brain.noteCount() : null));
  const app = Fastify({
    // pino's Logger and fastify's logger type differ only in typing details.
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: 'x-request-id',
    // Accept a caller's request id (so one id follows a call across services), but only a sane one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    },
  });

  // JSON only: fastify also parses text/plain by default, which a browser may send cross-site.
  app.removeContentTypeParser('text/plain');

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  // A web page the user visits must not plant notes through the browser (DNS rebinding): planted
  // notes would reach every consultant's prompt. Guarded by the route fastify matched, not the raw URL.
  guardRoutes(app, {
    publicRoutes: PUBLIC_ROUTES,
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
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: clientErrorMessage(error) });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: `internal error; the service log has the details under request id ${request.id}` });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  app.post('/write', async (request, reply) => {
    const parsed = WriteBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: describeIssue(parsed.error) });
    const { content, filename, mode, ...fields } = parsed.data;
    try {
      const result = await brain.write({ content, filename, mode, fields });
      metrics.writes.inc({ result: result.action });
      return reply.code(result.action === 'created' ? 201 : 200).send(result);
    } catch (error) {
      const status = error instanceof BrainError ? error.status : error instanceof BadNoteName ? 400 : 500;
      metrics.writes.inc({ result: status === 409 ? 'conflict' : status === 400 ? 'bad_request' : 'failed' });
      throw error;
    }
  });

  app.post('/query', async (request, reply) => {
    const parsed = QueryBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: describeIssue(parsed.error) });
    const { query, limit, type, domain, tags } = parsed.data;
    const timer = metrics.queryDuration.startTimer();
    const results = brain.search({ text: query, limit, type, domain, tags: tags === undefined ? undefined : noteTags(tags) });
    timer();
    return { results };
  });

  app.get('/notes/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const note = await brain.read(name);
    if (/\btext\/markdown\b/.test(request.headers.accept ?? '')) {
      return reply.type('text/markdown; charset=utf-8').send(note.text);
    }
    const { text: _text, ...rest } = note;
    return rest;
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  app.get('/ready', async (_request, reply) => {
    if (!brain.ready) return reply.code(503).send({ status: 'loading' });
    const problem = brain.problem;
    if (problem) return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', reason: problem });
    return { status: 'ready', notes: brain.noteCount() };
  });

  return app;
}

/** fastify's own 4xx messages, reworded where a caller would not know what to do. */
function clientErrorMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `request body is larger than ${BODY_LIMIT / 1024 / 1024} MiB`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'send the body as JSON with Content-Type: application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty; send a JSON object';
    default:
      if (error.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError) return `malformed JSON body: ${error.message}`;
      return error.message.replace(/\s+/g, ' ');
  }
}
