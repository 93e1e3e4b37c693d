/**
 * The 2026-07-28 leg of /mcp: every request carries its protocol version and client capabilities in
 * `_meta`, so each is answered by a fresh server from the factory, and nothing is kept between
 * requests. Change notifications reach the clients holding a `subscriptions/listen` stream.
 */
import { toNodeHandler } from '@modelcontextprotocol/node';
import { classifyInboundRequest, createMcpHandler, InMemoryServerEventBus, isJSONRPCRequest, PROTOCOL_VERSION_META_KEY, type Server, type ServerEvent, type ServerEventBus } from '@modelcontextprotocol/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { serveRaw } from './replies.js';

export interface ModernLegOptions {
  factory(): Server;
  /** The largest body: the same as the HTTP server's. */
  maxBodyBytes: number;
  /** Open subscriptions/listen streams at most. */
  maxSubscriptions: number;
  logger: Logger;
  /** Called when a listen stream opens or closes. */
  onListenersChange(): void;
}

export class ModernLeg {
  readonly #bus: CountingBus;
  readonly #handler: ReturnType<typeof createMcpHandler>;
  readonly #node: ReturnType<typeof toNodeHandler>;
  #responses = 0;

  constructor(private readonly options: ModernLegOptions) {
    this.#bus = new CountingBus(options.onListenersChange);
    // 'reject': 2025-era requests never get here (http.ts routes them to the sessions leg). 'sse': every
    // answer is a stream, with a comment every 15 s, so a consulting call that takes minutes keeps its
    // connection through proxies that cut a silent one (nginx's default is 60 s). It costs a fraction of
    // a millisecond per round trip (docs/benchmarks.md).
    this.#handler = createMcpHandler(() => options.factory(), {
      legacy: 'reject',
      responseMode: 'sse',
      bus: this.#bus,
      maxSubscriptions: options.maxSubscriptions,
      maxRequestBodySize: options.maxBodyBytes,
      onerror: (error) => options.logger.debug({ err: error }, 'MCP request refused'),
    });
    this.#node = toNodeHandler(this.#handler);
  }

  /** Answers still being written (listen streams aside): at shutdown, they reach their clients first. */
  get responsesOpen(): number {
    return this.#responses;
  }

  /** Open subscriptions/listen streams. */
  get listeners(): number {
    return this.#bus.listeners;
  }

  async serve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // The SDK refuses a stream past its cap too, but without saying which setting holds it.
    if (opensListenStream(request.body) && this.listeners >= this.options.maxSubscriptions) {
      const { id } = request.body as { id: string | number };
      const message = `too many subscriptions/listen streams: all ${this.options.maxSubscriptions} (SUPERVISOR_MAX_SESSIONS) are open; close one, or raise SUPERVISOR_MAX_SESSIONS`;
      return void reply.send({ jsonrpc: '2.0', id, error: { code: -32603, message } });
    }
    if (isJSONRPCRequest(request.body) && !opensListenStream(request.body)) {
      this.#responses++;
      reply.raw.once('close', () => this.#responses--);
    }
    await serveRaw(reply, this.options.logger, () => this.#node(request.raw, reply.raw, request.body));
  }

  resourcesChanged(): void {
    this.#handler.notify.resourcesChanged();
  }

  /** Ends the exchanges in flight and the listen streams. */
  close(): Promise<void> {
    return this.#handler.close();
  }
}

/**
 * Whether a POST speaks the 2026-07-28 protocol (its requests carry the `_meta` envelope): the SDK's
 * own classification (`classifyInboundRequest`, what its `isLegacyRequest` runs on a parsed body), so
 * the two legs never disagree with it. Anything else (an `initialize`, a request of a 2025-era
 * session) is for the sessions leg.
 */
export function isModernRequest(request: FastifyRequest): boolean {
  if (request.method !== 'POST' || request.headers['mcp-session-id'] !== undefined) return false;
  // Most requests claim nothing of 2026-07-28 (initialize, a 2025 client's first calls): legacy, without
  // classifying them further. A body that is not JSON is legacy too, as the SDK routes it.
  if (request.body === undefined || !claimsModern(request)) return false;
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: header('mcp-protocol-version'),
    mcpMethodHeader: header('mcp-method'),
    mcpNameHeader: header('mcp-name'),
    body: request.body,
  });
  return route.kind !== 'legacy';
}

/**
 * Whether a POST claims the 2026-07-28 protocol at all, in any way the SDK's classification reads: a
 * modern MCP-Protocol-Version header, or the protocol-version key in a message's `_meta`. Without a
 * claim the SDK calls it legacy too.
 */
function claimsModern(request: FastifyRequest): boolean {
  const header = request.headers['mcp-protocol-version'];
  if (typeof header === 'string' && header.trim() >= '2026') return true;
  const messages: unknown[] = Array.isArray(request.body) ? request.body : [request.body];
  return messages.some((message) => {
    const meta = (message as { params?: { _meta?: unknown } } | null)?.params?._meta;
    return !!meta && typeof meta === 'object' && PROTOCOL_VERSION_META_KEY in meta;
  });
}

/** A subscriptions/listen request: its stream stays open for as long as the client listens. */
function opensListenStream(body: unknown): boolean {
  return isJSONRPCRequest(body) && body.method === 'subscriptions/listen';
}

/** The in-process bus, counting its listeners: the server listens for changes only while someone hears them. */
class CountingBus implements ServerEventBus {
  readonly #inner = new InMemoryServerEventBus();

  constructor(private readonly onChange: () => void) {}

  get listeners(): number {
    return this.#inner.listenerCount;
  }

  publish(event: ServerEvent): void {
    this.#inner.publish(event);
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    const unsubscribe = this.#inner.subscribe(listener);
    this.onChange();
    return () => {
      unsubscribe();
      this.onChange();
    };
  }
}
