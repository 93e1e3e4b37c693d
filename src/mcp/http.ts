/**
 * The MCP endpoint over Streamable HTTP: `/mcp` serves both protocol eras, each request routed by
 * what it speaks — 2026-07-28 requests (per request, stateless) to modern.ts, 2025-era ones (protocol
 * sessions) to legacy-sessions.ts — with the same tools, resources and prompts (server.ts). In front
 * of every route but the public ones: the Host/Origin and bearer-token checks. At shutdown, calls in
 * flight finish or are stopped with an answer saying why.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isJSONRPCRequest } from '@modelcontextprotocol/server';
import { DEFAULT_MAX_CALLS, DEFAULT_MAX_SESSIONS } from '../config.js';
import { bearerTokenCheck } from '../../common/http/bearer.js';
import { hostGuard } from '../../common/http/host-guard.js';
import { boundJsonDepth } from '../../common/http/json-depth.js';
import { guardRoutes } from '../../common/http/route-guard.js';
import type { Deps } from '../deps.js';
import { McpMetrics } from '../metrics/mcp-metrics.js';
import { CallGate } from './call-gate.js';
import { LegacySessions } from './legacy-sessions.js';
import { isModernRequest, ModernLeg } from './modern.js';
import { jsonRpcError } from './replies.js';
import { createMcpServer, mcpSurface } from './server.js';

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
  /**
   * The port of the brain's web page when this process serves it (the embedded default): a browser
   * pointed at this server's `/` is sent there (docs/web.md).
   */
  webPort?: number | undefined;
}

export type McpApp = FastifyInstance & {
  /** Open 2025-era sessions. */
  sessionCount(): number;
  /**
   * Stops taking calls, lets those in flight finish within the grace period, stops the rest with
   * an answer saying the server is shutting down, and closes every session and stream. Call before close().
   */
  drain(): Promise<void>;
};

export function buildMcpApp(options: McpAppOptions): McpApp {
  // While closing, fastify answers new requests 503 (return503OnClosing).
  const app = Fastify({ loggerInstance: options.logger as FastifyBaseLogger, bodyLimit: MCP_BODY_LIMIT, return503OnClosing: true, logController: new LogController({ disableRequestLogging: true }) });
  // One tool call is several HTTP requests (the POST, its stream, the client's GET stream): each call
  // has its own log line (call-metrics.ts), so a request is logged only when refused or failed, or at debug.
  boundJsonDepth(app);
  app.addHook('onResponse', async (request, reply) => {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (reply.statusCode >= 400) request.log.info(line, 'request completed');
    else request.log.debug(line, 'request completed');
  });
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const graceMs = options.shutdownGraceMs ?? 30_000;
  const gate = new CallGate(options.maxCalls ?? DEFAULT_MAX_CALLS);
  const metrics = new McpMetrics(() => legacy.size, options.deps.advice);
  const surface = mcpSurface(options.deps, { version: options.version, gate, metrics });
  const factory = () => createMcpServer(surface);
  const legacy = new LegacySessions({ factory, max: maxSessions, idleMs: options.sessionIdleMs, logger: options.logger, onCountChange: () => listenWhileHeard() });
  const modern = new ModernLeg({ factory, maxBodyBytes: MCP_BODY_LIMIT, maxSubscriptions: maxSessions, logger: options.logger, onListenersChange: () => listenWhileHeard() });
  let draining: Promise<void> | null = null;

  // One subscription to the changes for the server, held while anyone can hear them — a 2025-era
  // session, or a subscriptions/listen stream (in team mode it polls the ingestion service): a
  // change of the notes, or a new session log, is told to every session and stream open then.
  let stopListening: (() => void) | null = null;
  const tellClients = () => {
    legacy.resourcesChanged();
    modern.resourcesChanged();
  };
  const listenWhileHeard = () => {
    if (legacy.size > 0 || modern.listeners > 0) {
      if (!stopListening) {
        const stops = [options.deps.brain.onChange(tellClients), options.deps.sessions.onNewLog(tellClients)];
        stopListening = () => stops.forEach((stop) => stop());
      }
    } else if (stopListening) {
      stopListening();
      stopListening = null;
    }
  };
  app.addHook('onClose', async () => stopListening?.());

  const checkHost = hostGuard(options.bindHost, options.allowedHosts, 'SUPERVISOR_ALLOWED_HOSTS');
  guardRoutes(app, {
    // `/` only sends a browser to the brain's web page, which has its own sign-in; a browser sends
    // no bearer token, so `/` asks for none, and checks the Host itself (below).
    publicRoutes: options.webPort ? [...PUBLIC_ROUTES, '/'] : PUBLIC_ROUTES,
    checkHost,
    authorized: options.token ? bearerTokenCheck(options.token) : null,
    refuseHost: (reply, reason) => reply.code(403).send(jsonRpcError(-32000, `Forbidden: ${reason}`)),
    refuseToken: (reply) => reply.code(403).send(jsonRpcError(-32001, TOKEN_REFUSED)),
  });

  // 503 while draining, so a load balancer stops sending new work here during the shutdown.
  app.get('/health', async (_request, reply) =>
    draining ? reply.code(503).send({ status: 'shutting down', sessions: legacy.size }) : { status: 'ok', sessions: legacy.size },
  );

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  const webPort = options.webPort;
  if (webPort) {
    // The same Host/Origin rule as every route, so the redirect never names a host this server was not asked by.
    app.get('/', async (request, reply) => {
      const refused = checkHost(request.headers.host, request.headers.origin, options.token !== undefined);
      if (refused) return reply.code(403).send(jsonRpcError(-32000, `Forbidden: ${refused}`));
      const page = new URL(`http://${request.headers.host ?? 'localhost'}/`);
      page.port = String(webPort);
      return reply.redirect(page.href, 302);
    });
  }

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
    return isModernRequest(request) ? modern.serve(request, reply) : legacy.serve(request, reply);
  });

  // While draining, every answer closes its connection and idle keep-alive connections are closed:
  // a client (or a proxy's pool) holding one would otherwise keep landing here and get 503 for the
  // whole grace period, instead of reconnecting to a replica that is up.
  app.addHook('onRequest', async (_request, reply) => {
    if (draining) reply.raw.shouldKeepAlive = false;
  });

  async function drainAll(): Promise<void> {
    // Connections busy at the start go idle as their answers end; closed each second until the end.
    app.server.closeIdleConnections();
    const closeIdle = setInterval(() => app.server.closeIdleConnections(), 1000);
    try {
      await finishCalls();
    } finally {
      clearInterval(closeIdle);
    }
  }

  async function finishCalls(): Promise<void> {
    if (gate.inFlight > 0) {
      options.logger.info({ calls: gate.inFlight, grace_seconds: graceMs / 1000 }, 'waiting for calls in flight before closing MCP sessions');
      await until(() => gate.inFlight === 0, graceMs);
    }
    if (gate.inFlight > 0) {
      options.logger.warn({ calls: gate.inFlight }, 'stopping the calls still running after SUPERVISOR_SHUTDOWN_SECONDS');
      gate.stopAll(`the server is shutting down: the call was stopped after SUPERVISOR_SHUTDOWN_SECONDS (${graceMs / 1000} s); call again when the server is back`);
    }
    // Stopped calls answer with a tool error and log to their session; let those answers out.
    await until(() => gate.inFlight === 0 && legacy.responsesOpen === 0 && modern.responsesOpen === 0, FLUSH_MS);
    await Promise.all([legacy.closeAll(), modern.close()]);
  }

  // A caller that closes without draining (tests) still closes every session and stream; preClose,
  // not onClose: an open event stream keeps its connection alive until it is closed.
  app.addHook('preClose', async () => {
    await Promise.all([legacy.closeAll(), modern.close()]);
  });

  return Object.assign(app, {
    sessionCount: () => legacy.size,
    drain: () => (draining ??= drainAll()),
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
