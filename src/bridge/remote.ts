/**
 * The bridge's connection to the remote MCP server: made patiently at start (Claude Code starts the
 * server and the bridge at once), made again after it was lost, and watched during a call so a server
 * that dies mid-call gives an error within a second rather than a 30-minute wait. It speaks the
 * protocol era the remote offers: 2026-07-28 when `server/discover` answers, else the 2025
 * `initialize` handshake (an older supervisor, or another server).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, StreamableHTTPClientTransport, type McpSubscription } from '@modelcontextprotocol/client';

export interface RemoteOptions {
  url: string;
  token?: string | undefined;
  version: string;
}

export class RemoteUnreachable extends Error {
  constructor(
    message: string,
    /** Not up yet (refused, reset, a proxy's 502-504): worth trying again. A 401 is not. */
    readonly retriable: boolean,
    options?: ErrorOptions & { triedMs?: number },
  ) {
    super(message, options);
    this.triedMs = options?.triedMs;
  }

  /** How long it was tried for at start (BRIDGE_CONNECT_SECONDS), when it was. */
  readonly triedMs: number | undefined;
}

/** The response stream of a call ended or broke before its answer came. */
class RemoteDropped extends Error {}

/**
 * How long after a call's stream ends or breaks its answer may still be on the way through the SDK's
 * parser; past it the call is failed. Short: the stream is gone, nothing more can come.
 */
const DROP_GRACE_MS = 500;
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 2000;

/** Watches the response stream of one request; set for the duration of the request (see `watchingFetch`). */
class StreamWatch {
  private readonly controller = new AbortController();
  private settled = false;
  dropped: string | null = null;
  readonly signal = this.controller.signal;

  streamEnded(why: string): void {
    if (!this.settled) setTimeout(() => this.lost(why), DROP_GRACE_MS).unref();
  }

  /** The request's connection broke before any answer: nothing more can come. */
  lost(why: string): void {
    if (this.settled || this.dropped) return;
    this.dropped = why;
    this.controller.abort(new RemoteDropped(why));
  }

  settle(): void {
    this.settled = true;
  }
}

/**
 * The SDK's client does not fail a request whose event stream breaks: it reports the error and keeps
 * waiting for an answer that cannot come. The fetch it is given is called in the async context of the
 * request, so the request's watch is known here and told when its stream ends, or when its connection
 * breaks before the answer began.
 */
const currentCall = new AsyncLocalStorage<StreamWatch>();

const watchingFetch: typeof fetch = async (input, init) => {
  const watch = currentCall.getStore();
  let response: Response;
  try {
    response = await fetch(input, init);
  } catch (error) {
    // Refused: the request never reached the server, and may be sent again. Anything else (reset,
    // closed): the server had it and went away before answering.
    if (watch && systemCode(error) !== 'ECONNREFUSED') watch.lost(reason(error));
    throw error;
  }
  const isStream = response.headers.get('content-type')?.startsWith('text/event-stream');
  if (!watch || !response.ok || !response.body || !isStream) return response;
  return new Response(watchedBody(response.body, watch), { status: response.status, statusText: response.statusText, headers: response.headers });
};

function watchedBody(body: ReadableStream<Uint8Array>, watch: StreamWatch): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          watch.streamEnded('the stream ended without an answer');
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        watch.streamEnded(reason(error));
      }
    },
    cancel: (why) => reader.cancel(why),
  });
}

const LIST_CHANGED = ['notifications/resources/list_changed', 'notifications/prompts/list_changed', 'notifications/tools/list_changed'] as const;

/** The remote's notifications that the bridge passes on as they are: a list to fetch again. */
export type ListChanged = (typeof LIST_CHANGED)[number];

export class Remote {
  private client: Client | null = null;
  /** A 2026-07-28 remote's change notifications come on a stream the client opens (subscriptions/listen). */
  private subscription: McpSubscription | null = null;
  /**
   * A connection was made before, or the client was answered without one: the next one is news to
   * the client (a new MCP session, or the server's tools at last).
   */
  private connectedBefore = false;
  onLog: ((params: unknown) => void) | null = null;
  /** Set on every connection made, so the relay survives a reconnection. */
  onListChanged: ((method: ListChanged) => void) | null = null;
  /** After a reconnection: what changed while the remote was away was told to no one. */
  onReconnected: (() => void) | null = null;

  constructor(private readonly options: RemoteOptions) {}

  /** One attempt. */
  async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({ name: 'supervisor-bridge', version: this.options.version }, { versionNegotiation: { mode: 'auto' } });
    client.setNotificationHandler('notifications/message', (notification) => this.onLog?.(notification.params));
    for (const method of LIST_CHANGED) client.setNotificationHandler(method, (notification) => this.onListChanged?.(notification.method as ListChanged));
    const headers: Record<string, string> = this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(this.options.url), { requestInit: { headers }, fetch: watchingFetch }));
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new RemoteUnreachable(`cannot reach the supervisor MCP server at ${this.options.url}: ${reason(error)}`, notUpYet(error), { cause: error });
    }
    client.onclose = () => {
      if (this.client === client) this.client = null;
    };
    this.client = client;
    if (client.getProtocolEra() === 'modern') await this.listen(client);
    if (this.connectedBefore) this.onReconnected?.();
    this.connectedBefore = true;
    return client;
  }

  /** Tries again with growing pauses while the server is not up yet, for at most `windowMs`. */
  async connectWithin(windowMs: number): Promise<Client> {
    const deadline = performance.now() + windowMs;
    for (let pause = FIRST_RETRY_MS; ; pause = Math.min(pause * 2, MAX_RETRY_MS)) {
      try {
        return await this.connect();
      } catch (error) {
        const left = deadline - performance.now();
        if (!(error instanceof RemoteUnreachable) || !error.retriable || windowMs === 0) throw error;
        if (left <= 0) throw new RemoteUnreachable(`${error.message}; tried for ${windowMs / 1000} s (BRIDGE_CONNECT_SECONDS)`, false, { cause: error.cause, triedMs: windowMs });
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
      }
    }
  }

  /**
   * Runs `work` on the connection; when the remote was lost before the request got through (restart,
   * network), reconnects once. `dropped` aborts when the request's stream breaks: a request the server
   * started and then lost is not sent again (it may be a long model call), it fails with RemoteDropped.
   */
  async use<T>(work: (client: Client, dropped: AbortSignal) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await watched(client, work);
    } catch (error) {
      if (error instanceof RemoteDropped || !isConnectionLoss(error)) throw error;
      this.client = null;
      await client.close().catch(() => undefined);
      return watched(await this.connect(), work);
    }
  }

  /** The client was answered without a connection: the first one made is announced as a reconnection. */
  missed(): void {
    this.connectedBefore = true;
  }

  /** The era the connection speaks: `modern` (2026-07-28) or `legacy` (2025); undefined before one is made. */
  era(): 'modern' | 'legacy' | undefined {
    return this.client?.getProtocolEra();
  }

  async close(): Promise<void> {
    await this.subscription?.close().catch(() => undefined);
    await this.client?.close().catch(() => undefined);
  }

  /** Listens for the list changes the remote offers; a remote that cannot listen still serves calls. */
  private async listen(client: Client): Promise<void> {
    const offered = client.getServerCapabilities();
    const filter = {
      ...(offered?.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(offered?.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(offered?.tools?.listChanged ? { toolsListChanged: true } : {}),
    };
    if (Object.keys(filter).length === 0) return;
    await this.subscription?.close().catch(() => undefined);
    this.subscription = await client.listen(filter).catch(() => null);
  }
}

async function watched<T>(client: Client, work: (client: Client, dropped: AbortSignal) => Promise<T>): Promise<T> {
  const watch = new StreamWatch();
  try {
    return await currentCall.run(watch, () => work(client, watch.signal));
  } catch (error) {
    if (watch.dropped) throw new RemoteDropped(watch.dropped, { cause: error });
    throw error;
  } finally {
    watch.settle();
  }
}

/** The HTTP status an SDK error carries (SdkHttpError's `status`), if any. */
function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' && status > 0 ? status : undefined;
}

function notUpYet(error: unknown): boolean {
  const status = httpStatus(error);
  if (typeof status === 'number') return status === 502 || status === 503 || status === 504;
  return systemCode(error) !== undefined; // refused, reset, no such host yet
}

/** The system error code (ECONNREFUSED…) somewhere down the error's causes: the SDK wraps fetch's, which wraps the socket's. */
function systemCode(error: unknown): string | undefined {
  for (let cause = (error as { cause?: unknown })?.cause, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) {
    const code = (cause as { code?: unknown }).code;
    // ECONNREFUSED, UND_ERR_SOCKET…: not the SDK's own codes (REQUEST_TIMEOUT), which say nothing of the network.
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
  }
  return undefined;
}

function isConnectionLoss(error: unknown): boolean {
  const text = `${reason(error)} ${String((error as { code?: unknown })?.code ?? '')}`;
  return /fetch failed|ECONNREFUSED|ECONNRESET|socket|Session not found|404|terminated|closed/i.test(text);
}

/** One line: the cause's code, or the server's own words from an HTTP refusal, and the message. */
export function reason(error: unknown): string {
  const status = httpStatus(error);
  const code = systemCode(error);
  if (code === undefined && status !== undefined) {
    // The server's own words: the body the SDK kept (data.text), or quoted in its message.
    const body = (error as { data?: { text?: unknown } }).data?.text;
    const refusal = jsonRpcErrorMessage(typeof body === 'string' ? body : '') ?? jsonRpcErrorMessage(String((error as Error)?.message ?? ''));
    if (refusal) return `HTTP ${status}: ${refusal}`.slice(0, 300);
  }
  const line = String((error as Error | null)?.message ?? error).replace(/\s+/g, ' ');
  return (code && !line.includes(code) ? `${code}: ${line}` : line).slice(0, 300);
}

/** The server's own words from an HTTP refusal: a JSON-RPC error body, alone or quoted in a message. */
function jsonRpcErrorMessage(message: string): string | null {
  const body = message.slice(message.indexOf('{'));
  try {
    const text = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
    return typeof text === 'string' ? text : null;
  } catch {
    return null;
  }
}

/** What a bridge user is told when the remote could not answer a request: what happened and what to do. */
export function failureMessage(url: string, error: unknown): string {
  if (error instanceof RemoteDropped) {
    return `the supervisor MCP server at ${url} closed the connection mid-call (${error.message}); its answer is lost. Check that the server runs and its log, then call again: the bridge reconnects on the next call.`;
  }
  const problem = connectProblem(url, error);
  if (problem) return `${problem}. The bridge tries again on every call.`;
  return `the supervisor MCP server at ${url} did not answer (${reason(error)}); check that it runs (supervisor serve) and SUPERVISOR_URL. The bridge reconnects on the next call.`;
}

/**
 * Why no connection could be made, and what to do, for the two causes a person fixes in a setting
 * or by starting something: the server refused the token, or nothing listens at the address. Null
 * for anything else (the raw reason is then the best clue).
 */
export function connectProblem(url: string, error: unknown): string | null {
  if (!(error instanceof RemoteUnreachable)) return null;
  const status = httpStatus(error.cause);
  // supervisor answers 403 "wrong or missing bearer token"; a proxy in front of it may answer 401.
  if (status === 401 || status === 403) {
    return `the MCP server at ${url} refused the token (HTTP ${status}): set SUPERVISOR_TOKEN in the bridge's env to the server's token`;
  }
  const code = systemCode(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ECONNRESET') {
    return `no MCP server answers at ${url} (${code}): start it with \`supervisor serve\`, or set SUPERVISOR_URL to where it runs`;
  }
  return null;
}
