/**
 * A small OpenAI-compatible server standing in for LiteLLM and its models, for tests and
 * benchmarks: it records every request it receives (so a test can assert on what reached the
 * model) and answers as each model is told to.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  stream?: boolean;
  [key: string]: unknown;
}

export type ModelBehaviour =
  | {
      kind: 'answer';
      text: string | ((request: ChatRequest) => string);
      delayMs?: number;
      chunks?: number;
      /** Streams the first piece at once, then holds the rest until this settles: a test decides when the answer ends. */
      until?: Promise<unknown>;
    }
  | { kind: 'status'; status: number; message?: string }
  | { kind: 'hang' }
  | { kind: 'empty' }
  | { kind: 'drop' };

export interface FakeLiteLlm {
  url: string;
  requests: ChatRequest[];
  /** Milliseconds from each request's arrival to its last byte: the model's own time. */
  durations: number[];
  /** Requests whose client went away before the answer was complete (an abort reached us). */
  aborted: string[];
  behave(model: string, behaviour: ModelBehaviour): void;
  /** Models that /v1/models lists (default: every model given a behaviour). */
  serve(models: string[] | null): void;
  /**
   * Back to how it started: no behaviours, no list, nothing recorded (the arrays are emptied in
   * place). Tests call it before each test, so one that fails half-way cannot leave a model hanging
   * for the next.
   */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_ANSWER: ModelBehaviour = { kind: 'answer', text: (r) => `answer from ${r.model}` };

export interface FakeOptions {
  host?: string;
  port?: number;
  /** How a model with no behaviour of its own answers. */
  answer?: ModelBehaviour;
  /** Context windows GET /model/info reports, by model name (LiteLLM's shape); without them the route is not there, as on other OpenAI-compatible servers. */
  modelInfo?: Record<string, number>;
  /**
   * Models /v1/models lists besides those given a behaviour (`supervisor fake-llm`: those of
   * models.yaml, so `status` finds them served). Listing them does not refuse any other model.
   */
  catalogue?: string[];
}

export async function startFakeLiteLlm(options: FakeOptions = {}): Promise<FakeLiteLlm> {
  const defaultAnswer = options.answer ?? DEFAULT_ANSWER;
  const behaviours = new Map<string, ModelBehaviour>();
  const requests: ChatRequest[] = [];
  const durations: number[] = [];
  const aborted: string[] = [];
  let listed: string[] | null = null;
  const open = new Set<ServerResponse>();

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/v1/models') {
      const ids = listed ?? [...new Set([...(options.catalogue ?? []), ...behaviours.keys()])];
      return json(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model' })) });
    }
    if (req.method === 'GET' && req.url === '/model/info' && options.modelInfo) {
      const data = Object.entries(options.modelInfo).map(([name, tokens]) => ({ model_name: name, litellm_params: { model: `ollama/${name}` }, model_info: { max_input_tokens: tokens } }));
      return json(res, 200, { data });
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return json(res, 404, { error: { message: 'no route' } });
    const arrived = performance.now();
    res.on('finish', () => durations.push(performance.now() - arrived));
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const request = JSON.parse(body) as ChatRequest;
    requests.push(request);
    const behaviour = behaviours.get(request.model) ?? (listed && !listed.includes(request.model) ? null : defaultAnswer);
    if (!behaviour) return json(res, 404, { error: { message: `model ${request.model} not found`, code: '404' } });
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished) aborted.push(request.model);
    });
    switch (behaviour.kind) {
      case 'status':
        return json(res, behaviour.status, { error: { message: behaviour.message ?? `failure ${behaviour.status}`, code: String(behaviour.status) } });
      case 'drop':
        res.destroy();
        return;
      case 'hang':
        return; // never answers: the client's timeout or cancellation must end it
      case 'empty':
        return reply(res, request, '', 1, 0);
      case 'answer': {
        const text = typeof behaviour.text === 'function' ? behaviour.text(request) : behaviour.text;
        return reply(res, request, text, behaviour.chunks ?? 4, behaviour.delayMs ?? 0, behaviour.until);
      }
    }
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    requests,
    durations,
    aborted,
    behave: (model, behaviour) => behaviours.set(model, behaviour),
    serve: (models) => {
      listed = models;
    },
    reset: () => {
      behaviours.clear();
      listed = null;
      requests.length = 0;
      durations.length = 0;
      aborted.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        for (const res of open) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Answers as a stream of `chunks` deltas spread over `delayMs`, or as one JSON body. */
async function reply(res: ServerResponse, request: ChatRequest, text: string, chunks: number, delayMs: number, until?: Promise<unknown>): Promise<void> {
  const usage = { prompt_tokens: JSON.stringify(request.messages).length >> 2, completion_tokens: text.length >> 2 };
  const base = { id: 'chatcmpl-fake', created: Math.floor(Date.now() / 1000), model: request.model };
  if (!request.stream) {
    if (delayMs) await sleep(delayMs);
    if (until) await until;
    return json(res, 200, {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage,
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const size = Math.max(1, Math.ceil(text.length / chunks));
  const pieces = text.length === 0 ? [] : Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));
  for (const [i, piece] of pieces.entries()) {
    if (res.destroyed) return;
    if (delayMs) await sleep(delayMs / pieces.length);
    if (until && i === 1) await until;
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
  }
  if (delayMs && pieces.length === 0) await sleep(delayMs);
  if (until && pieces.length < 2) await until;
  if (res.destroyed) return;
  res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
  res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
  res.end('data: [DONE]\n\n');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
