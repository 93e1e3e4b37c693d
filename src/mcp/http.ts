/**
 * The MCP endpoint over Streamable HTTP: `/mcp` with stateful sessions (one McpServer each),
 * closed after an idle time and all at shutdown; Host/Origin and bearer-token checks in front.
 */
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { bearerTokenCheck } from '../http/bearer.js';
import { hostGuard } from '../http/host-guard.js';
import type { ConsultDeps } from '../skills/consult.js';
import { McpMetrics } from '../metrics/mcp-metrics.js';
import { createMcpServer } from './server.js';

/** Attached code makes requests larger than the usual JSON body. */
export const MCP_BODY_LIMIT = 4 * 1024 * 1024;

export interface McpAppOptions {
  deps: ConsultDeps;
  logger: Logger;
  version: string;
  bindHost: string;
  allowedHosts: string[];
  token?: string | undefined;
  sessionIdleMs: number;
  /** At shutdown, how long calls in flight may take to finish before their sessions are closed. */
  shutdownGraceMs?: number;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  /** Calls (POSTs) still being answered: a session busy with a long model call is not idle. The
   * event stream a client keeps open (GET) does not count, or no connected session would ever idle. */
  active: number;
}

export function buildMcpApp(options: McpAppOptions): FastifyInstance & { sessionCount(): number } {
  // While closing, fastify answers new requests 503 (return503OnClosing), so draining calls finish alone.
  const app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger, bodyLimit: MCP_BODY_LIMIT, return503OnClosing: true });
  const sessions = new Map<string, Session>();
  const metrics = new McpMetrics(() => sessions.size);
  const checkHost = hostGuard(options.bindHost, options.allowedHosts);
  const authorized = options.token ? bearerTokenCheck(options.token) : null;

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/mcp')) return;
    const refused = checkHost(request.headers.host, request.headers.origin);
    if (refused) return reply.code(403).send(jsonRpcError(-32000, `Forbidden: ${refused}`));
    if (authorized && !authorized(request.headers.authorization)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="supervisor", error="invalid_token"')
        .send(jsonRpcError(-32001, 'Unauthorized: send Authorization: Bearer <SUPERVISOR_TOKEN>'));
    }
  });

  app.get('/health', async () => ({ status: 'ok', sessions: sessions.size }));

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  app.all('/mcp', async (request, reply) => {
    const id = request.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = sessions.get(id);
      if (!session) return reply.code(404).send(jsonRpcError(-32001, 'Session not found: it expired or the server restarted; reconnect'));
      return serve(session, request.method === 'POST', reply, () => session.transport.handleRequest(request.raw, reply.raw, request.body));
    }
    if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
      return reply.code(400).send(jsonRpcError(-32000, 'Bad Request: no valid session id; start with an initialize request'));
    }
    const server = createMcpServer(options.deps, { version: options.version, metrics });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, session);
      },
    });
    const session: Session = { transport, server, lastSeen: Date.now(), active: 0 };
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return serve(session, true, reply, () => transport.handleRequest(request.raw, reply.raw, request.body));
  });

  async function serve(session: Session, isCall: boolean, reply: FastifyReply, handle: () => Promise<void>): Promise<void> {
    // From here the transport writes the response itself (JSON or an event stream).
    reply.hijack();
    session.lastSeen = Date.now();
    if (isCall) {
      session.active++;
      reply.raw.once('close', () => {
        session.active--;
        session.lastSeen = Date.now();
      });
    }
    try {
      await handle();
    } catch (error) {
      options.logger.error({ err: error }, 'MCP request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(jsonRpcError(-32603, 'Internal error; see the server log')));
      } else {
        reply.raw.end();
      }
    }
  }

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (session.active === 0 && now - session.lastSeen > options.sessionIdleMs) {
        options.logger.info({ session: id }, 'closing idle MCP session');
        void closeSession(session);
      }
    }
  }, Math.min(60_000, Math.max(100, options.sessionIdleMs / 4)));
  sweeper.unref();

  async function closeSession(session: Session): Promise<void> {
    if (session.transport.sessionId) sessions.delete(session.transport.sessionId);
    await session.transport.close().catch(() => undefined);
    await session.server.close().catch(() => undefined);
  }

  // preClose, not onClose: a client's open event stream keeps its connection alive, and the server
  // would wait for it forever before onClose ran. Calls in flight get the grace period to finish.
  app.addHook('preClose', async () => {
    clearInterval(sweeper);
    const deadline = Date.now() + (options.shutdownGraceMs ?? 30_000);
    const busy = () => [...sessions.values()].some((session) => session.active > 0);
    if (busy()) options.logger.info('waiting for calls in flight before closing MCP sessions');
    while (busy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all([...sessions.values()].map(closeSession));
  });

  return Object.assign(app, { sessionCount: () => sessions.size });
}

function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}
