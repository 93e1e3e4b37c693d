/**
 * The two requests supervisor makes of an OpenAI-compatible server (LiteLLM, or Ollama straight): a
 * streamed chat completion and the list of models, over node:http(s) with connections kept alive.
 * The openai package did this before; its fetch and web streams cost ~1 ms of CPU per streamed answer
 * against ~0.25 ms here (measured against the fake LiteLLM, 300 answers each, alternated), and a
 * consulting call's whole server work is a few milliseconds. Errors keep the package's shape where
 * callers read them: a status error carries `status` and the body's `error` object, a connection
 * error says "Connection error." with the system error (ECONNREFUSED…) as its cause.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

/** The server answered with an error status (or sent an error object in the stream: no status). */
export class ApiStatusError extends Error {
  constructor(
    readonly status: number | undefined,
    /** The body's `error` object (LiteLLM: message, type, param, code), when it sent one. */
    readonly error: { message?: unknown; type?: unknown } | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The server could not be reached, or the connection broke before the answer was complete. */
export class ApiConnectionError extends Error {
  constructor(message = 'Connection error.', cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export interface ChatChunk {
  content?: string | undefined;
  usage?: { prompt_tokens: number; completion_tokens: number } | undefined;
}

/** How much of an error answer is read: enough for any proxy's message, bounded whatever it sends. */
const ERROR_BODY_BYTES = 64 * 1024;
/** How much of a model list is read: thousands of models fit. */
const MODEL_LIST_BYTES = 4 * 1024 * 1024;
/** The longest line of an answer stream (a chunk carries a few tokens): a server that never ends one is cut off. */
const MAX_LINE_CHARS = 4 * 1024 * 1024;

export class OpenAiHttp {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  /** `apiBase`: the server's /v1 address. */
  constructor(
    private readonly apiBase: string,
    private readonly apiKey: string,
  ) {
    const secure = new URL(apiBase).protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.request = secure ? https.request : http.request;
  }

  /** POST /chat/completions with `stream: true`: each chunk's text and, at the end, the usage. */
  async *streamChat(body: Record<string, unknown>, signal: AbortSignal): AsyncGenerator<ChatChunk> {
    const response = await this.send('POST', '/chat/completions', signal, JSON.stringify({ ...body, stream: true }));
    response.setEncoding('utf8');
    let pending = '';
    let data: string[] = [];
    let done = false;
    try {
      for await (const piece of response as AsyncIterable<string>) {
        pending += piece;
        if (pending.length > MAX_LINE_CHARS && !pending.includes('\n')) {
          throw new ApiConnectionError(`the answer stream sent a line over ${MAX_LINE_CHARS} characters without ending it`);
        }
        let end: number;
        while (!done && (end = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, end).replace(/\r$/, '');
          pending = pending.slice(end + 1);
          // Server-sent events: `data:` lines up to a blank line make one event; comments and other fields are passed over.
          if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
          else if (line === '' && data.length > 0) {
            const event = data.join('\n');
            data = [];
            // Read on to the response's end, so that its connection serves the next request.
            if (event === '[DONE]') done = true;
            else yield chunkOf(event);
          }
        }
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof ApiStatusError || error instanceof ApiConnectionError) throw error; // an event's own
      throw new ApiConnectionError('Connection error.', error);
    } finally {
      if (!response.complete) response.destroy(); // left early: the connection cannot serve another request
    }
    if (signal.aborted) throw signal.reason;
    // No [DONE] (which not every server sends) and the response not whole: the connection closed mid-answer.
    if (!done && !response.complete) throw new ApiConnectionError('the connection closed before the answer was complete');
  }

  /** GET /models: the model names the server serves. */
  async listModels(signal: AbortSignal): Promise<string[]> {
    const response = await this.send('GET', '/models', signal);
    const text = await readBounded(response, MODEL_LIST_BYTES);
    const page = parseJson(text) as { data?: Array<{ id?: unknown }> } | undefined;
    if (!Array.isArray(page?.data)) throw new ApiConnectionError(`GET /v1/models answered no model list: ${text.slice(0, 120)}`);
    return page.data.flatMap((model) => (typeof model.id === 'string' ? [model.id] : []));
  }

  close(): void {
    this.agent.destroy();
  }

  /** Sends the request; resolves with a 2xx response, else throws ApiStatusError or ApiConnectionError. */
  private send(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const headers: Record<string, string | number> = { accept: 'application/json', authorization: `Bearer ${this.apiKey}` };
      if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      const request = this.request(`${this.apiBase}${path}`, { method, headers, agent: this.agent, signal }, (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(response);
        readBounded(response, ERROR_BODY_BYTES).then(
          (text) => reject(statusError(status, text)),
          (error: unknown) => reject(signal.aborted ? signal.reason : new ApiConnectionError('Connection error.', error)),
        );
      });
      request.on('error', (error) => reject(signal.aborted ? signal.reason : new ApiConnectionError('Connection error.', error)));
      request.end(body);
    });
  }
}

/** One event of the stream: a completion chunk, or an error the server sent instead of one. */
function chunkOf(event: string): ChatChunk {
  const chunk = parseJson(event) as { choices?: Array<{ delta?: { content?: unknown } }>; usage?: ChatChunk['usage']; error?: unknown } | undefined;
  if (chunk === undefined) throw new ApiConnectionError(`the answer stream held an unreadable event: ${event.slice(0, 120)}`);
  if (chunk.error) {
    const error = typeof chunk.error === 'object' ? (chunk.error as { message?: unknown }) : { message: chunk.error };
    throw new ApiStatusError(undefined, error, typeof error.message === 'string' ? error.message : 'the server sent an error mid-answer');
  }
  const content = chunk.choices?.[0]?.delta?.content;
  return { content: typeof content === 'string' ? content : undefined, usage: chunk.usage ?? undefined };
}

/** "401 Authentication Error, …": the status, then the body's message (LiteLLM's `error.message`, Ollama's `error`). */
function statusError(status: number, text: string): ApiStatusError {
  const body = parseJson(text) as { error?: unknown; message?: unknown } | undefined;
  const error = typeof body?.error === 'object' && body.error !== null ? (body.error as { message?: unknown }) : typeof body?.error === 'string' ? { message: body.error } : undefined;
  const said = typeof error?.message === 'string' ? error.message : typeof body?.message === 'string' ? body.message : text.trim() || 'status code (no body)';
  return new ApiStatusError(status, error, `${status} ${said}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The response's body as text, at most `maxBytes` of it (the rest is drained unread). */
async function readBounded(response: IncomingMessage, maxBytes: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const piece of response as AsyncIterable<Buffer>) {
    if (size >= maxBytes) continue;
    parts.push(piece);
    size += piece.length;
  }
  return Buffer.concat(parts).subarray(0, maxBytes).toString('utf8');
}
