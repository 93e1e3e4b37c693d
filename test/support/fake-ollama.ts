/**
 * A fake Ollama: only the routes supervisor may reach when LITELLM_BASE_URL points straight at
 * Ollama, answering in Ollama's shapes (its REST API and OpenAI-compatibility documentation, and the
 * code of its OpenAI layer, at v0.33.0-rc2, read in December 2026):
 * - GET /v1/models: `{object: "list", data: [{id, object: "model", created, owned_by}]}` (`data` is
 *   null when no model is pulled);
 * - POST /v1/chat/completions: SSE chunks `chat.completion.chunk` (the first with the role), a
 *   finish chunk with an empty delta, with `stream_options.include_usage` a usage chunk with no
 *   choices, then `data: [DONE]`; not streamed, one `chat.completion` with `usage`. An unknown model:
 *   404 `{"error": {"message": "model 'x' not found", "type": "not_found_error", "param": null, "code": null}}`;
 * - GET /api/version, GET /api/tags, GET /api/ps (`context_length` of the loaded models),
 *   POST /api/show (`parameters` with `num_ctx` when the Modelfile sets one; `model_info` with
 *   `<arch>.context_length`; unknown model: 404 `{"error": "model 'x' not found"}`);
 * - anything else, /model/info included: 404 `404 page not found` as text, as Ollama's router does.
 * A prompt longer than the model's context is cut as Ollama cuts it with context shift (its
 * default): the first NUM_KEEP tokens and the end are kept, the rest silently dropped. Tokens are
 * counted as CHARS_PER_TOKEN characters each. The model answers by saying what it was given after
 * the cut; every request is recorded. A model without context shift refuses such a prompt with a
 * 400 instead (Ollama's runner code).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOllamaModel {
  /** `PARAMETER num_ctx` of its Modelfile, when it sets one (/api/show `parameters`). */
  numCtx?: number;
  /** The model's own trained context (`model_info["qwen2.context_length"]`). */
  trainedContext: number;
  /** Loaded, running with this context (GET /api/ps); else not loaded. */
  loadedContext?: number;
  /** false: a prompt longer than the context is refused with a 400, as Ollama does for models without context shift (deepseek2). */
  contextShift?: boolean;
}

export interface FakeOllamaOptions {
  /** The pulled models, by Ollama name (`qwen2.5-coder:14b`). */
  models: Record<string, FakeOllamaModel>;
  /** The context a model runs with when its Modelfile sets none (OLLAMA_CONTEXT_LENGTH, or the VRAM default: 4096 below 24 GiB). */
  defaultContext?: number;
}

export interface OllamaChatRequest {
  model: string;
  stream: boolean;
  messages: { role: string; content: string }[];
  /** The prompt the model saw: the messages joined, after Ollama's cut. */
  seen: string;
  /** Whether the prompt was longer than the model's context and was cut. */
  cut: boolean;
}

export interface FakeOllama {
  url: string;
  /** The chat requests received, in order. */
  chats: OllamaChatRequest[];
  /** Every route asked, as "GET /api/ps". */
  routes: string[];
  close(): Promise<void>;
}

export const CHARS_PER_TOKEN = 4;
/** Ollama's default num_keep: the tokens kept from the start when a prompt is cut. */
const NUM_KEEP = 4;
const MODIFIED_AT = '2026-11-02T10:00:00.000000000Z';

export async function startFakeOllama(options: FakeOllamaOptions): Promise<FakeOllama> {
  const chats: OllamaChatRequest[] = [];
  const routes: string[] = [];
  const contextOf = (model: FakeOllamaModel) => Math.min(model.loadedContext ?? model.numCtx ?? options.defaultContext ?? 4096, model.trainedContext);
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0];
    routes.push(`${req.method} ${path}`);
    const names = Object.keys(options.models);
    if (req.method === 'GET' && path === '/') return text(res, 200, 'Ollama is running');
    if (req.method === 'GET' && path === '/api/version') return json(res, 200, { version: '0.33.0' });
    if (req.method === 'GET' && path === '/api/tags') {
      return json(res, 200, { models: names.map((name) => ({ name, model: name, modified_at: MODIFIED_AT, size: 9_000_000_000, digest: 'f'.repeat(64), details: details() })) });
    }
    if (req.method === 'GET' && path === '/api/ps') {
      const loaded = Object.entries(options.models).filter(([, model]) => model.loadedContext !== undefined);
      return json(res, 200, {
        models: loaded.map(([name, model]) => ({ name, model: name, size: 9_000_000_000, digest: 'f'.repeat(64), details: details(), expires_at: '2026-12-05T19:00:00Z', size_vram: 9_000_000_000, context_length: contextOf(model) })),
      });
    }
    if (req.method === 'POST' && path === '/api/show') {
      const asked = String((JSON.parse(body || '{}') as { model?: unknown }).model ?? '');
      const model = options.models[asked] ?? options.models[`${asked}:latest`];
      if (!model) return json(res, 404, { error: `model '${asked}' not found` });
      const parameters = [...(model.numCtx ? [`num_ctx                        ${model.numCtx}`] : []), 'stop                           "<|im_end|>"'].join('\n');
      return json(res, 200, {
        parameters,
        details: details(),
        model_info: { 'general.architecture': 'qwen2', 'general.parameter_count': 14_770_033_664, 'qwen2.context_length': model.trainedContext, 'qwen2.block_count': 48 },
        capabilities: ['completion', 'tools', 'insert'],
        modified_at: MODIFIED_AT,
      });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, { object: 'list', data: names.length === 0 ? null : names.map((id) => ({ id, object: 'model', created: 1_762_077_600, owned_by: 'library' })) });
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') return chat(JSON.parse(body) as ChatBody, res);
    return text(res, 404, '404 page not found');
  }

  function chat(request: ChatBody, res: ServerResponse): void {
    const model = options.models[request.model] ?? options.models[`${request.model}:latest`];
    if (!model) {
      return json(res, 404, { error: { message: `model '${request.model}' not found`, type: 'not_found_error', param: null, code: null } });
    }
    const prompt = request.messages.map((m) => m.content).join('\n\n');
    const limit = contextOf(model) * CHARS_PER_TOKEN;
    const cut = prompt.length > limit;
    if (cut && model.contextShift === false) {
      const message =
        'the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length';
      return json(res, 400, { error: { message, type: 'invalid_request_error', param: null, code: null } });
    }
    const seen = cut ? prompt.slice(0, NUM_KEEP * CHARS_PER_TOKEN) + prompt.slice(prompt.length - (limit - NUM_KEEP * CHARS_PER_TOKEN)) : prompt;
    chats.push({ model: request.model, stream: Boolean(request.stream), messages: request.messages, seen, cut });
    const answer = `${request.model} read ${seen.length} characters. Its prompt began: ${seen.slice(0, 60).replace(/\s+/g, ' ')}`;
    const usage = { prompt_tokens: Math.ceil(seen.length / CHARS_PER_TOKEN), completion_tokens: Math.ceil(answer.length / CHARS_PER_TOKEN), total_tokens: 0 };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = `chatcmpl-${chats.length}`;
    const created = 1_764_961_200;
    if (!request.stream) {
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: request.model,
        system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
        usage,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (choices: unknown[], extra: object = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, system_fingerprint: 'fp_ollama', choices, ...extra })}\n\n`);
    const words = answer.match(/\S+\s*/g) ?? [];
    words.forEach((word, i) => chunk([{ index: 0, delta: i === 0 ? { role: 'assistant', content: word } : { content: word }, finish_reason: null }]));
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
    if (request.stream_options?.include_usage) chunk([], { usage });
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    chats,
    routes,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

function details() {
  return { parent_model: '', format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '14.8B', quantization_level: 'Q4_K_M' };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
