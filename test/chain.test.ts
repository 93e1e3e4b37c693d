import { freePort } from './support/ports.js';
import { waitFor } from './support/wait.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainClient } from '../src/llm/chain.js';
import { chainFailure } from './support/chain.js';
import { startFakeLiteLlm, type FakeLiteLlm } from '../src/dev/fake-litellm.js';

let llm: FakeLiteLlm;
beforeEach(async () => {
  llm = await startFakeLiteLlm();
});
afterEach(async () => {
  await llm.close();
});

const messages = [{ role: 'user' as const, content: 'hello' }];
const client = (timeoutMs = 2000) => new ChainClient({ baseUrl: llm.url, apiKey: 'sk-test', timeoutMs });


describe('model chain', () => {
  it('answers with the first model that works, recording every try in order', async () => {
    llm.behave('a', { kind: 'status', status: 503 });
    llm.behave('b', { kind: 'status', status: 429 });
    llm.behave('c', { kind: 'empty' });
    llm.behave('d', { kind: 'answer', text: 'from d' });
    const result = await client().complete(['a', 'b', 'c', 'd', 'e'], { messages });
    expect(result.text).toBe('from d');
    expect(result.model).toBe('d');
    expect(result.attempts.map((a) => [a.model, a.outcome])).toEqual([
      ['a', 'server_error'],
      ['b', 'rate_limited'],
      ['c', 'empty'],
      ['d', 'ok'],
    ]);
    expect(llm.requests.map((r) => r.model)).toEqual(expect.arrayContaining(['a', 'b', 'c', 'd']));
    expect(llm.requests.some((r) => r.model === 'e')).toBe(false);
    expect(result.usage?.completion_tokens).toBeGreaterThanOrEqual(0);
  });

  it('a model too slow for the timeout is abandoned for the next one', async () => {
    llm.behave('slow', { kind: 'hang' });
    llm.behave('fast', { kind: 'answer', text: 'quick' });
    const result = await client(300).complete(['slow', 'fast'], { messages });
    expect(result.attempts.map((a) => a.outcome)).toEqual(['timeout', 'ok']);
    expect(llm.aborted).toContain('slow');
  });

  it('an unknown model falls through to the next', async () => {
    llm.serve(['known']);
    const result = await client().complete(['missing', 'known'], { messages });
    expect(result.attempts.map((a) => [a.model, a.outcome, a.status])).toEqual([
      ['missing', 'not_found', 404],
      ['known', 'ok', undefined],
    ]);
  });

  it('when every model fails, one error names each model, why, and what to do', async () => {
    llm.behave('a', { kind: 'status', status: 500, message: 'CUDA out of memory' });
    llm.behave('b', { kind: 'hang' });
    const error = await chainFailure(client(300).complete(['a', 'b'], { messages }));
    expect(error.message).toMatch(new RegExp(`^every model failed at LiteLLM ${llm.url}`));
    expect(error.message).toMatch(/a: 500 CUDA out of memory \(\d+ ms\)/);
    expect(error.message).toMatch(/b: no complete answer within 0\.3 s/);
    expect(error.message).toMatch(/What to do: look at the LiteLLM log for the failing model; the model may be overloaded/);
    expect(error.attempts.map((a) => a.outcome)).toEqual(['server_error', 'timeout']);
  });

  it('LiteLLM not running: connection refused for each model, and where to look', async () => {
    const port = await freePort();
    const down = new ChainClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    const error = await chainFailure(down.complete(['a', 'b'], { messages }));
    expect(error.attempts.map((a) => a.outcome)).toEqual(['connection_refused', 'connection_refused']);
    expect(error.message).toContain(`LiteLLM http://127.0.0.1:${port}`);
    expect(error.message).toContain('start LiteLLM or set LITELLM_BASE_URL');
  });

  it('https asked of a LiteLLM that speaks plain HTTP: the failure names the system error and where to look', async () => {
    const tls = new ChainClient({ baseUrl: `https://${new URL(llm.url).host}`, timeoutMs: 2000 });
    const error = await chainFailure(tls.complete(['a'], { messages }));
    expect(error.attempts).toMatchObject([{ outcome: 'connection_error', detail: 'connection error (EPROTO)' }]);
    expect(error.message).toContain('check that LiteLLM is reachable at LITELLM_BASE_URL');
  });

  it('a wrong API key stops the chain at once: every model would refuse it', async () => {
    llm.behave('a', { kind: 'status', status: 401, message: 'invalid key' });
    const error = await chainFailure(client().complete(['a', 'b'], { messages }));
    expect(error.attempts.map((a) => a.model)).toEqual(['a']);
    expect(error.message).toContain('check LITELLM_API_KEY');
  });

  it('cancelling aborts the request to LiteLLM and tries no other model', async () => {
    llm.behave('a', { kind: 'hang' });
    const controller = new AbortController();
    const call = client(5000).complete(['a', 'b'], { messages, signal: controller.signal });
    await waitFor(() => llm.requests.length === 1, 'the request reaching LiteLLM');
    controller.abort();
    const error = await chainFailure(call);
    expect(error.cancelled).toBe(true);
    await waitFor(() => llm.aborted.length === 1, 'the abort reaching LiteLLM');
    expect(llm.aborted).toEqual(['a']);
    expect(llm.requests.map((r) => r.model)).toEqual(['a']);
  });

  it('reports progress while the answer streams in', async () => {
    llm.behave('a', { kind: 'answer', text: 'x'.repeat(400), chunks: 8, delayMs: 800 });
    const progress: number[] = [];
    await client().complete(['a'], { messages, onProgress: (n) => progress.push(n) });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  });

  it('sends the messages and streams, with the API key as bearer token', async () => {
    await client().complete(['a'], { messages: [{ role: 'system', content: 'sys' }, ...messages] });
    expect(llm.requests[0]).toMatchObject({ model: 'a', stream: true, messages: [{ role: 'system', content: 'sys' }, ...messages] });
  });
});
