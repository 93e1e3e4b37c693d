/**
 * The model chain against LiteLLM's own error shapes, without a server: msw answers the openai
 * client's fetch in this process, with the bodies LiteLLM's proxy sends (`{"error": {"message",
 * "type", "param", "code"}}`, `code` a string). End-to-end behaviour stays with the fake LiteLLM.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient, reportedWindow, type ChatMessage } from '../src/llm/chain.js';
import { chainFailure } from './support/chain.js';

const BASE = 'http://litellm.test:4000';
const COMPLETIONS = `${BASE}/v1/chat/completions`;
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

interface Seen {
  model: string;
  messages: ChatMessage[];
}
/** Routes each model's requests to its own answer; records what reached "LiteLLM". */
function litellm(answers: Record<string, (request: Seen, nth: number) => Response | Promise<Response>>): Seen[] {
  const seen: Seen[] = [];
  server.use(
    http.post(COMPLETIONS, async ({ request }) => {
      const body = (await request.json()) as Seen;
      seen.push(body);
      const answer = answers[body.model];
      if (!answer) return litellmError(404, `litellm.NotFoundError: model ${body.model} not found`);
      return answer(body, seen.filter((s) => s.model === body.model).length);
    }),
  );
  return seen;
}

/** LiteLLM's proxy error body. */
function litellmError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return HttpResponse.json({ error: { message, type: null, param: null, code: String(status) } }, { status, headers });
}

/** A streamed answer in OpenAI's SSE shape; `cutAfter` pieces, then the connection breaks. */
function streamed(pieces: string[], options: { cutAfter?: number; firstDelayMs?: number } = {}): Response {
  const encoder = new TextEncoder();
  const line = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (content: string) => ({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      if (options.firstDelayMs) await new Promise((resolve) => setTimeout(resolve, options.firstDelayMs));
      for (const [i, piece] of pieces.entries()) {
        if (options.cutAfter !== undefined && i === options.cutAfter) {
          controller.error(new TypeError('terminated'));
          return;
        }
        controller.enqueue(line(chunk(piece)));
      }
      controller.enqueue(line({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [], usage: { prompt_tokens: 10, completion_tokens: pieces.length } }));
      controller.enqueue(encoder.encode('data: [DONE]\n\n'));
      controller.close();
    },
  });
  return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
}

const messages: ChatMessage[] = [
  { role: 'system', content: 'discipline' },
  { role: 'user', content: 'a long prompt' },
];
const client = (options: { timeoutMs?: number; waitingNoticeMs?: number } = {}) =>
  new ChainClient({ baseUrl: BASE, apiKey: 'sk-test', timeoutMs: options.timeoutMs ?? 2000, waitingNoticeMs: options.waitingNoticeMs });


// LiteLLM's ContextWindowExceededError as its proxy sends it for an Ollama model past num_ctx.
const CONTEXT_EXCEEDED =
  "litellm.ContextWindowExceededError: litellm.BadRequestError: OllamaException - This model's maximum context length is 4096 tokens. However, you requested 9100 tokens. Please reduce the length of the messages.\nReceived Model Group=local/qwen\nAvailable Model Group Fallbacks=None";

describe('the resilience ladder: a prompt too large for the model', () => {
  const smaller: ChatMessage[] = [
    { role: 'system', content: 'discipline' },
    { role: 'user', content: 'a shorter prompt' },
  ];

  it('fits the prompt to the window LiteLLM reports and asks the same model once more, recorded in attempts', async () => {
    const seen = litellm({
      'local/qwen': (request) => (request.messages[1]?.content === 'a long prompt' ? litellmError(400, CONTEXT_EXCEEDED) : streamed(['fits now'])),
    });
    const limits: Array<[string, number | undefined]> = [];
    const result = await client().complete(['local/qwen', 'local/other'], {
      messages,
      refit: (model, limit) => {
        limits.push([model, limit]);
        return { messages: smaller, window: limit ?? 0 };
      },
    });
    expect(result.text).toBe('fits now');
    expect(limits).toEqual([['local/qwen', 4096]]);
    expect(result.attempts).toMatchObject([
      { model: 'local/qwen', outcome: 'context_exceeded', status: 400 },
      { model: 'local/qwen', outcome: 'ok', refit_window: 4096 },
    ]);
    expect(result.attempts[0]?.detail).toMatch(/^litellm\.ContextWindowExceededError/);
    expect(seen.map((s) => [s.model, s.messages[1]?.content])).toEqual([
      ['local/qwen', 'a long prompt'],
      ['local/qwen', 'a shorter prompt'],
    ]);
  });

  it('retries once only: a second context error moves down the chain, with the original prompt', async () => {
    const seen = litellm({
      'local/qwen': () => litellmError(400, CONTEXT_EXCEEDED),
      'local/big': () => streamed(['from the big one']),
    });
    let refits = 0;
    const result = await client().complete(['local/qwen', 'local/big'], {
      messages,
      refit: () => {
        refits++;
        return { messages: smaller, window: 2048 };
      },
    });
    expect(refits).toBe(1);
    expect(result.attempts.map((a) => [a.model, a.outcome, a.refit_window])).toEqual([
      ['local/qwen', 'context_exceeded', undefined],
      ['local/qwen', 'context_exceeded', 2048],
      ['local/big', 'ok', undefined],
    ]);
    expect(seen.at(-1)?.messages[1]?.content).toBe('a long prompt');
  });

  it('without a smaller prompt to send, the chain moves on and the failure says what to set', async () => {
    litellm({ 'local/qwen': () => litellmError(400, CONTEXT_EXCEEDED) });
    const error = await chainFailure(client().complete(['local/qwen'], { messages, refit: () => null }));
    expect(error.attempts.map((a) => a.outcome)).toEqual(['context_exceeded']);
    expect(error.message).toMatch(/What to do: the prompt is larger than the model's context window as served: set the model's context_window in models\.yaml/);
  });

  it('recognises the backends\' own wording that LiteLLM passes through, and the window each names', () => {
    expect(reportedWindow(CONTEXT_EXCEEDED)).toBe(4096);
    expect(reportedWindow("The input (9000 tokens) is longer than the model's context length (8192 tokens).")).toBe(8192);
    expect(reportedWindow('request (9000 tokens) exceeds the available context size (32768 tokens), try increasing it')).toBe(32768);
    expect(reportedWindow('litellm.ContextWindowExceededError: prompt is too long')).toBeUndefined();
  });

  it('another 400 is not a context error: no refit, the next model is asked', async () => {
    litellm({
      'local/qwen': () => litellmError(400, 'litellm.BadRequestError: OllamaException - invalid temperature'),
      'local/big': () => streamed(['ok']),
    });
    let refits = 0;
    const result = await client().complete(['local/qwen', 'local/big'], { messages, refit: () => (refits++, null) });
    expect(refits).toBe(0);
    expect(result.attempts.map((a) => a.outcome)).toEqual(['client_error', 'ok']);
  });
});

describe("LiteLLM's other failures", () => {
  it('429 with retry-after: the chain does not sit out the wait, it asks the next model at once', async () => {
    litellm({
      'local/qwen': () => litellmError(429, 'litellm.RateLimitError: RateLimitError: OllamaException - rate limit exceeded', { 'retry-after': '30' }),
      'local/other': () => streamed(['from the other']),
    });
    const started = performance.now();
    const fallbacks: string[] = [];
    const result = await client().complete(['local/qwen', 'local/other'], { messages, onFallback: (failed, next) => fallbacks.push(`${failed.model}->${next}`) });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.attempts).toMatchObject([{ model: 'local/qwen', outcome: 'rate_limited', status: 429 }, { outcome: 'ok' }]);
    expect(result.attempts[0]?.detail).toContain('litellm.RateLimitError');
    expect(fallbacks).toEqual(['local/qwen->local/other']);
  });

  it('401: the chain stops (every model shares the key) and the failure says to check LITELLM_API_KEY', async () => {
    const seen = litellm({ 'local/qwen': () => litellmError(401, 'Authentication Error, Invalid proxy server token passed.') });
    const error = await chainFailure(client().complete(['local/qwen', 'local/other'], { messages }));
    expect(error.attempts).toMatchObject([{ model: 'local/qwen', outcome: 'unauthorized', status: 401 }]);
    expect(seen).toHaveLength(1);
    expect(error.message).toMatch(/local\/qwen: 401 Authentication Error, Invalid proxy server token passed\..*What to do: check LITELLM_API_KEY\./);
  });

  it.each([500, 502, 503])('%i: the next model is asked', async (status) => {
    litellm({
      'local/qwen': () => litellmError(status, `litellm.ServiceUnavailableError: OllamaException - model failed to load (${status})`),
      'local/other': () => streamed(['recovered']),
    });
    const result = await client().complete(['local/qwen', 'local/other'], { messages });
    expect(result.text).toBe('recovered');
    expect(result.attempts).toMatchObject([{ outcome: 'server_error', status }, { outcome: 'ok' }]);
  });

  it('a stream cut mid-answer is no answer: the half-answer is dropped and the next model asked', async () => {
    litellm({
      'local/qwen': () => streamed(['The first half ', 'and then'], { cutAfter: 1 }),
      'local/other': () => streamed(['a whole answer']),
    });
    const result = await client().complete(['local/qwen', 'local/other'], { messages });
    expect(result.text).toBe('a whole answer');
    expect(result.attempts.map((a) => [a.model, a.outcome])).toEqual([
      ['local/qwen', 'connection_error'],
      ['local/other', 'ok'],
    ]);
  });
});

describe('progress before the first token', () => {
  it('says which model is asked at once, then that it is still awaited, until tokens arrive', async () => {
    litellm({ 'local/slow': () => streamed(['finally'], { firstDelayMs: 700 }) });
    const events: string[] = [];
    const result = await client({ timeoutMs: 5000, waitingNoticeMs: 200 }).complete(['local/slow'], {
      messages,
      onWaiting: (model, waitedMs, timeoutMs) => events.push(`${model} waited ${waitedMs > 0 ? 'some' : 'none'} of ${timeoutMs}`),
      onProgress: (characters) => events.push(`${characters} characters`),
    });
    expect(result.text).toBe('finally');
    expect(events[0]).toBe('local/slow waited none of 5000');
    const waiting = events.filter((e) => e === 'local/slow waited some of 5000').length;
    expect(waiting).toBeGreaterThanOrEqual(2);
    // once the answer streams, no more "waiting"
    const firstCharacters = events.findIndex((e) => e.endsWith('characters'));
    expect(firstCharacters).toBeGreaterThan(0);
    expect(events.slice(firstCharacters).some((e) => e.includes('waited'))).toBe(false);
  });

  it('each model of the chain is announced as it is asked', async () => {
    litellm({ 'local/qwen': () => litellmError(503, 'down'), 'local/other': () => streamed(['ok']) });
    const asked: string[] = [];
    await client().complete(['local/qwen', 'local/other'], { messages, onWaiting: (model, waitedMs) => waitedMs === 0 && asked.push(model) });
    expect(asked).toEqual(['local/qwen', 'local/other']);
  });
});
