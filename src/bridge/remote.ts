/**
 * The bridge's connection to the remote MCP server: made patiently at start (Claude Code starts the
 * server and the bridge at once), made again after it was lost, and watched during a call so a server
 * that dies mid-call gives an error within a second rather than a 30-minute wait.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { errorLine } from '../errors.js';
import { lazySchemaValidator } from '../schema-validator.js';

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
  ) {
    super(message);
  }
}

/** The response stream of a call ended or broke before its answer came. */
export class RemoteDropped extends Error {}

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
    if (this.settled) return;
    setTimeout(() => {
      if (this.settled || this.dropped) return;
      this.dropped = why;
      this.controller.abort(new RemoteDropped(why));
    }, DROP_GRACE_MS).unref();
  }

  settle(): void {
    this.settled = true;
  }
}

/**
 * The SDK's client does not fail a request whose event stream breaks: it reports the error and keeps
 * waiting for an answer that cannot come. The fetch it is given is called in the async context of the
 * request, so the request's watch is known here and told when its stream ends.
 */
const currentCall = new AsyncLocalStorage<StreamWatch>();

const watchingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const watch = currentCall.getStore();
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

/** The remote's notifications that the bridge passes on as they are: a list to fetch again. */
export type ListChanged = 'notifications/resources/list_changed' | 'notifications/prompts/list_changed' | 'notifications/tools/list_changed';

export class Remote {
  private client: Client | null = null;
  /** A connection was made before: the next one is a reconnection (a new MCP session). */
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
    const client = new Client({ name: 'supervisor-bridge', version: this.options.version }, { jsonSchemaValidator: lazySchemaValidator() });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => this.onLog?.(notification.params));
    for (const schema of [ResourceListChangedNotificationSchema, PromptListChangedNotificationSchema, ToolListChangedNotificationSchema]) {
      client.setNotificationHandler(schema, (notification) => this.onListChanged?.(notification.method));
    }
    const headers: Record<string, string> = this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(this.options.url), { requestInit: { headers }, fetch: watchingFetch }));
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new RemoteUnreachable(`cannot reach the supervisor MCP server at ${this.options.url}: ${reason(error)}`, notUpYet(error));
    }
    client.onclose = () => {
      if (this.client === client) this.client = null;
    };
    this.client = client;
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
        if (left <= 0) throw new RemoteUnreachable(`${error.message}; tried for ${windowMs / 1000} s (BRIDGE_CONNECT_SECONDS)`, false);
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

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
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

function notUpYet(error: unknown): boolean {
  const status = (error as { code?: unknown })?.code;
  if (typeof status === 'number') return status === 502 || status === 503 || status === 504;
  return typeof (error as { cause?: { code?: unknown } })?.cause?.code === 'string'; // refused, reset, no such host yet
}

function isConnectionLoss(error: unknown): boolean {
  const text = `${reason(error)} ${String((error as { code?: unknown })?.code ?? '')}`;
  return /fetch failed|ECONNREFUSED|ECONNRESET|socket|Session not found|404|terminated|closed/i.test(text);
}

/** One line: the cause's code, or the server's own words from an HTTP refusal, and the message. */
export function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  const status = (error as { code?: unknown })?.code;
  const refusal = !cause?.code && typeof status === 'number' && status > 0 ? jsonRpcErrorMessage(String((error as Error)?.message ?? '')) : null;
  return refusal ? `HTTP ${status}: ${refusal}`.slice(0, 300) : errorLine(error, 300);
}

/** The server's own words from an HTTP refusal the SDK quotes whole ("Error POSTing to endpoint: {json}"). */
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
  return `the supervisor MCP server at ${url} did not answer (${reason(error)}); check that it runs (supervisor serve) and SUPERVISOR_URL. The bridge reconnects on the next call.`;
}
