/**
 * The MCP endpoint over Streamable HTTP: `/mcp` with stateful sessions (one McpServer each),
 * capped in number, closed after an idle time and all at shutdown; Host/Origin and bearer-token
 * checks in front of every route but the public ones.
 */
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULT_MAX_CALLS, DEFAULT_MAX_SESSIONS } from '../config.js';
import { bearerTokenCheck } from '../../common/http/bearer.js';
import { hostGuard } from '../../common/http/host-guard.js';
import { guardRoutes } from '../../common/http/route-guard.js';
import { CallStopped } from '../llm/chain.js';
import type { Deps } from '../deps.js';
import { McpMetrics } from '../metrics/mcp-metrics.js';
import { sendErrorsAsWritten } from '../json-rpc-errors.js';
import { createMcpServer, type CallTracker } from './server.js';

/** Attached code makes requests larger than the usual JSON body. */
export const MCP_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * Routes that answer without a token and without the Host/Origin check: the probes (kubelet reaches
 * the pod by its IP and sends no token) and the metrics scrape. They read no note and change
 * nothing: liveness, the number of open sessions, counters.
 */
export const PUBLIC_ROUTES = ['/health', '/metrics'] as const;

/**
 * Said to a client with a missing or wrong token. Sent with 403 and no WWW-Authenticate: a 401 makes
 * MCP clients (Claude Code, mcp-remote, the Inspector) start OAuth discovery instead of showing it.
 */
export const TOKEN_REFUSED = 'Forbidden: wrong or missing bearer token; send Authorization: Bearer <SUPERVISOR_TOKEN>';

/** At shutdown, how long answers of stopped calls may take to reach their clients. */
const FLUSH_MS = 3_000;

export interface McpAppOptions {
  deps: Deps;
  logger: Logger;
  version: string;
  bindHost: string;
  allowedHosts: string[];
  token?: string | undefined;
  sessionIdleMs: number;
  /** Open sessions at most (SUPERVISOR_MAX_SESSIONS). */
  maxSessions?: number | undefined;
  /** Tool calls in flight at once, over all sessions (SUPERVISOR_MAX_CALLS). */
  maxCalls?: number | undefined;
  /** At shutdown, how long calls in flight may take to finish before they are stopped. */
  shutdownGraceMs?: number | undefined;
}

export type McpApp = FastifyInstance & {
  sessionCount(): number;
  /**
   * Stops taking calls, lets those in flight finish within the grace period, stops the rest with
   * an answer saying the server is shutting down, and closes every session. Call before close().
   */
  drain(): Promise<void>;
};

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  /** Tool calls in flight: a session busy with a call is never closed as idle or evicted. */
  calls: number;
  /** POST responses not yet finished: at shutdown, answers reach their clients before the close. */
  responses: number;
}

export function buildMcpApp(options: McpAppOptions): McpApp {
  // While closing, fastify answers new requests 503 (return503OnClosing).
  const app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger, bodyLimit: MCP_BODY_LIMIT, return503OnClosing: true, logController: new LogController({ disableRequestLogging: true }) });
  // One tool call is several HTTP requests (the POST, its stream, the client's GET stream): each call
  // has its own log line (call-metrics.ts), so a request is logged only when refused or failed, or at debug.
  app.addHook('onResponse', async (request, reply) => {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (reply.statusCode >= 400) request.log.info(line, 'request completed');
    else request.log.debug(line, 'request completed');
  });
  const sessions = new Map<string, Session>();
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  // Calls parked on a slow model each hold their arguments and prompt: without a cap, memory would
  // grow with every request sent.
  const maxCalls = options.maxCalls ?? DEFAULT_MAX_CALLS;
  const graceMs = options.shutdownGraceMs ?? 30_000;
  /** Sessions being created (their initialize not yet answered): they count against the cap too. */
  let pending = 0;
  /** Tool calls in flight, over all sessions: what stops each at shutdown. */
  const running = new Set<AbortController>();
  let draining: Promise<void> | null = null;
  const metrics = new McpMetrics(() => sessions.size);
  // One subscription for the server, not one per session, held while any session is open (in team
  // mode it polls the ingestion service): a change of the notes, or a new session log, is told to
  // every session open at that moment (those that closed have left the map). A session that holds no
  // GET stream has nowhere to hear it, and the transport drops it for that one.
  let stopListening: (() => void) | null = null;
  const listen = () => {
    const stops = [options.deps.brain.onChange(tellSessions), options.deps.sessions.onNewLog(tellSessions)];
    return () => stops.forEach((stop) => stop());
  };
  const tellSessions = () => {
    for (const session of sessions.values()) {
      // The low-level send: McpServer's own leaves a failed send (a stream closing) as an unhandled rejection.
      if (session.server.isConnected()) void session.server.server.sendResourceListChanged().catch(() => undefined);
    }
  };
  /** Called after every change to `sessions`. */
  const listenWhileOpen = () => {
    if (sessions.size > 0) stopListening ??= listen();
    else if (stopListening) {
      stopListening();
      stopListening = null;
    }
  };
  app.addHook('onClose', async () => stopListening?.());

  guardRoutes(app, {
    publicRoutes: PUBLIC_ROUTES,
    checkHost: hostGuard(options.bindHost, options.allowedHosts, 'SUPERVISOR_ALLOWED_HOSTS'),
    authorized: options.token ? bearerTokenCheck(options.token) : null,
    refuseHost: (reply, reason) => reply.code(403).send(jsonRpcError(-32000, `Forbidden: ${reason}`)),
    refuseToken: (reply) => reply.code(403).send(jsonRpcError(-32001, TOKEN_REFUSED)),
  });

  // 503 while draining, so a load balancer stops sending new work here during the shutdown.
  app.get('/health', async (_request, reply) =>
    draining ? reply.code(503).send({ status: 'shutting down', sessions: sessions.size }) : { status: 'ok', sessions: sessions.size },
  );

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  // A client pointed at the server's root (or at /sse, /mcp/) is told where the endpoint is.
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(jsonRpcError(-32000, `no MCP endpoint at ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}; it is POST /mcp (Streamable HTTP): http://${request.headers.host ?? 'this-server'}/mcp`)),
  );

  app.all('/mcp', async (request, reply) => {
    // Notifications still pass while draining: a client cancelling a call must be heard.
    if (draining && (request.method === 'GET' || carriesRequest(request.body))) {
      return reply.code(503).header('retry-after', '5').send(jsonRpcError(-32000, 'the server is shutting down; reconnect when it is back'));
    }
    const id = request.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = sessions.get(id);
      if (!session) return reply.code(404).send(jsonRpcError(-32001, 'Session not found: it expired or the server restarted; reconnect'));
      return serve(session, request.method === 'POST', reply, () => session.transport.handleRequest(request.raw, reply.raw, request.body));
    }
    if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
      return reply.code(400).send(jsonRpcError(-32000, 'Bad Request: no valid session id; start with an initialize request'));
    }
    if (!makeRoom()) {
      return reply
        .code(503)
        .header('retry-after', '5')
        .send(jsonRpcError(-32000, `too many open sessions: all ${maxSessions} (SUPERVISOR_MAX_SESSIONS) are busy with calls; try again shortly or raise SUPERVISOR_MAX_SESSIONS`));
    }
    pending++;
    const session = openSession();
    try {
      await session.server.connect(session.transport);
      await serve(session, true, reply, () => session.transport.handleRequest(request.raw, reply.raw, request.body));
    } finally {
      pending--;
      // Kept only when the initialize was answered (406, 415, a broken body… leave nothing behind).
      const stored = session.transport.sessionId !== undefined && sessions.get(session.transport.sessionId) === session;
      if (!stored) await closeSession(session);
    }
  });

  function openSession(): Session {
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, session);
        listenWhileOpen();
      },
    });
    sendErrorsAsWritten(transport);
    const calls: CallTracker = {
      begin: ({ requestId, signal }) => {
        if (running.size >= maxCalls) {
          return { refused: `the server is busy: ${maxCalls} calls are in flight, the most it takes at once (SUPERVISOR_MAX_CALLS); try again shortly` };
        }
        // One controller per call, not one signal for the server's life combined into every call:
        // AbortSignal.any keeps a reference from its sources to each combined signal.
        const stopper = new AbortController();
        running.add(stopper);
        session.calls++;
        return {
          stopped: stopper.signal,
          end: () => {
            running.delete(stopper);
            session.calls--;
            session.lastSeen = Date.now();
            // A cancelled call gets no answer (the spec forbids one), so the transport would keep
            // its response stream open forever: end it.
            if (signal.aborted) session.transport.closeSSEStream(requestId);
          },
        };
      },
    };
    const server = createMcpServer(options.deps, { version: options.version, metrics, calls });
    const session: Session = { transport, server, lastSeen: Date.now(), calls: 0, responses: 0 };
    // Set before connect, which chains it: the server's own close handling (aborting calls) must run too.
    transport.onclose = () => {
      if (transport.sessionId && sessions.get(transport.sessionId) === session) sessions.delete(transport.sessionId);
      listenWhileOpen();
    };
    return session;
  }

  /** True when another session may open, closing the least recently used idle one if needed. */
  function makeRoom(): boolean {
    while (sessions.size + pending >= maxSessions) {
      let oldest: Session | null = null;
      for (const session of sessions.values()) {
        if (session.calls === 0 && (!oldest || session.lastSeen < oldest.lastSeen)) oldest = session;
      }
      if (!oldest) return false;
      options.logger.info({ session: oldest.transport.sessionId, max: maxSessions }, 'SUPERVISOR_MAX_SESSIONS reached: closing the least recently used idle MCP session');
      // Leaves the map at once (the close itself finishes in the background).
      void closeSession(oldest);
    }
    return true;
  }

  async function serve(session: Session, isPost: boolean, reply: FastifyReply, handle: () => Promise<void>): Promise<void> {
    // From here the transport writes the response itself (JSON or an event stream).
    reply.hijack();
    session.lastSeen = Date.now();
    if (isPost) {
      session.responses++;
      reply.raw.once('close', () => {
        session.responses--;
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
      if (session.calls === 0 && now - session.lastSeen > options.sessionIdleMs) {
        options.logger.info({ session: id }, 'closing idle MCP session');
        void closeSession(session);
      }
    }
  }, Math.min(60_000, Math.max(100, options.sessionIdleMs / 4)));
  sweeper.unref();

  async function closeSession(session: Session): Promise<void> {
    const id = session.transport.sessionId;
    if (id && sessions.get(id) === session) sessions.delete(id);
    listenWhileOpen();
    await session.transport.close().catch(() => undefined);
    await session.server.close().catch(() => undefined);
  }

  const callsInFlight = () => running.size;
  const responsesOpen = () => [...sessions.values()].reduce((sum, session) => sum + session.responses, 0);

  async function drainSessions(): Promise<void> {
    clearInterval(sweeper);
    if (callsInFlight() > 0) {
      options.logger.info({ calls: callsInFlight(), grace_seconds: graceMs / 1000 }, 'waiting for calls in flight before closing MCP sessions');
      await until(() => callsInFlight() === 0, graceMs);
    }
    if (callsInFlight() > 0) {
      options.logger.warn({ calls: callsInFlight() }, 'stopping the calls still running after SUPERVISOR_SHUTDOWN_SECONDS');
      const reason = new CallStopped(
        `the server is shutting down: the call was stopped after SUPERVISOR_SHUTDOWN_SECONDS (${graceMs / 1000} s); call again when the server is back`,
      );
      for (const stopper of running) stopper.abort(reason);
    }
    // Stopped calls answer with a tool error and log to their session; let those answers out.
    await until(() => callsInFlight() === 0 && responsesOpen() === 0, FLUSH_MS);
    await Promise.all([...sessions.values()].map(closeSession));
  }

  // A caller that closes without draining (tests) still closes every session; preClose, not
  // onClose: a client's open event stream keeps its connection alive until its session is closed.
  app.addHook('preClose', async () => {
    clearInterval(sweeper);
    await Promise.all([...sessions.values()].map(closeSession));
  });

  return Object.assign(app, {
    sessionCount: () => sessions.size,
    drain: () => (draining ??= drainSessions()),
  });
}

/** Whether a POST body holds a request (something to answer), not only notifications or responses. */
function carriesRequest(body: unknown): boolean {
  return Array.isArray(body) ? body.some((message) => isJSONRPCRequest(message)) : isJSONRPCRequest(body);
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
}

function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}
