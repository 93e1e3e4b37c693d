/**
 * The 2025-era leg of /mcp: clients that open with `initialize` get a protocol session (its
 * `Mcp-Session-Id`), and with it what that era offers — the GET stream that carries change
 * notifications, the session's log level (logging/setLevel), DELETE to end it — and their
 * consultations keep history without passing a session_id, as before sessions were handles (the
 * session's id is the consultation's). Sessions are capped in number (the least recently used idle one
 * makes room), closed after an idle time, and all at shutdown. Several replicas need affinity on
 * `Mcp-Session-Id` for these clients (docs/mcp.md).
 */
import { randomUUID } from 'node:crypto';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { isInitializeRequest, type Server } from '@modelcontextprotocol/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { jsonRpcError, serveRaw } from './replies.js';

export interface LegacySessionsOptions {
  /** A server for one new session. */
  factory(): Server;
  /** Open sessions at most (SUPERVISOR_MAX_SESSIONS). */
  max: number;
  idleMs: number;
  logger: Logger;
  /** Called after every change to the number of open sessions. */
  onCountChange(): void;
}

interface Session {
  transport: NodeStreamableHTTPServerTransport;
  server: Server;
  lastSeen: number;
  /** POST responses not yet finished: a session answering one is busy, never closed as idle or evicted. */
  responses: number;
}

export class LegacySessions {
  readonly #sessions = new Map<string, Session>();
  /** Sessions being created (their initialize not yet answered): they count against the cap too. */
  #pending = 0;
  readonly #sweeper: NodeJS.Timeout;

  constructor(private readonly options: LegacySessionsOptions) {
    this.#sweeper = setInterval(() => this.#closeIdle(), Math.min(60_000, Math.max(100, options.idleMs / 4)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** POST responses still being written, over all sessions: at shutdown, answers reach their clients first. */
  get responsesOpen(): number {
    let open = 0;
    for (const session of this.#sessions.values()) open += session.responses;
    return open;
  }

  async serve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const id = request.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = this.#sessions.get(id);
      if (!session) return void reply.code(404).send(jsonRpcError(-32001, 'Session not found: it expired or the server restarted; start a new one with initialize'));
      return this.#handle(session, request, reply);
    }
    if (request.method !== 'POST') {
      // The spec's answer for a stream the server does not offer: no session, no stream.
      return void reply
        .code(405)
        .header('allow', 'POST')
        .send(jsonRpcError(-32000, `Method not allowed: ${request.method} /mcp needs the Mcp-Session-Id of an open 2025-era session; send requests with POST`));
    }
    if (!isInitializeRequest(request.body)) {
      return void reply.code(400).send(jsonRpcError(-32000, 'Bad Request: no valid session id; start with an initialize request, or send the 2026-07-28 protocol\'s _meta with each request'));
    }
    if (!this.#makeRoom()) {
      return void reply
        .code(503)
        .header('retry-after', '5')
        .send(jsonRpcError(-32000, `too many open sessions: all ${this.options.max} (SUPERVISOR_MAX_SESSIONS) are busy with calls; try again shortly or raise SUPERVISOR_MAX_SESSIONS`));
    }
    this.#pending++;
    const session = this.#open();
    try {
      await session.server.connect(session.transport);
      await this.#handle(session, request, reply);
    } finally {
      this.#pending--;
      // Kept only when the initialize was answered (406, 415, a broken body… leave nothing behind).
      const stored = session.transport.sessionId !== undefined && this.#sessions.get(session.transport.sessionId) === session;
      if (!stored) await this.#close(session);
    }
  }

  /** Tells every open session that the resources changed (on its GET stream, if it holds one). */
  resourcesChanged(): void {
    for (const session of this.#sessions.values()) void session.server.sendResourceListChanged().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#sessions.values()].map((session) => this.#close(session)));
  }

  #open(): Session {
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        this.#sessions.set(sessionId, session);
        this.options.onCountChange();
      },
    });
    const session: Session = { transport, server: this.options.factory(), lastSeen: Date.now(), responses: 0 };
    // Set before connect, which chains it: the server's own close handling (aborting calls) must run too.
    transport.onclose = () => this.#forget(session);
    return session;
  }

  async #handle(session: Session, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    session.lastSeen = Date.now();
    if (request.method === 'POST') {
      session.responses++;
      reply.raw.once('close', () => {
        session.responses--;
        session.lastSeen = Date.now();
      });
    }
    await serveRaw(reply, this.options.logger, () => session.transport.handleRequest(request.raw, reply.raw, request.body));
  }

  /** True when another session may open, closing the least recently used idle one if needed. */
  #makeRoom(): boolean {
    while (this.#sessions.size + this.#pending >= this.options.max) {
      let oldest: Session | null = null;
      for (const session of this.#sessions.values()) {
        if (session.responses === 0 && (!oldest || session.lastSeen < oldest.lastSeen)) oldest = session;
      }
      if (!oldest) return false;
      this.options.logger.info({ session: oldest.transport.sessionId, max: this.options.max }, 'SUPERVISOR_MAX_SESSIONS reached: closing the least recently used idle MCP session');
      // Leaves the map at once (the close itself finishes in the background).
      void this.#close(oldest);
    }
    return true;
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const [id, session] of this.#sessions) {
      if (session.responses === 0 && now - session.lastSeen > this.options.idleMs) {
        this.options.logger.info({ session: id }, 'closing idle MCP session');
        void this.#close(session);
      }
    }
  }

  #forget(session: Session): void {
    const id = session.transport.sessionId;
    if (id && this.#sessions.get(id) === session) {
      this.#sessions.delete(id);
      this.options.onCountChange();
    }
  }

  async #close(session: Session): Promise<void> {
    this.#forget(session);
    await session.transport.close().catch(() => undefined);
    await session.server.close().catch(() => undefined);
  }
}
