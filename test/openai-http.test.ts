/**
 * How supervisor reads an OpenAI-compatible server's answers (src/llm/openai-http.ts), against a real
 * server on a loopback port that answers as proxies do, in every spelling the event-stream format
 * allows: CRLF line ends, `data:` without its space, comments, events split across packets, an error
 * sent mid-stream, and error bodies of LiteLLM's shape, Ollama's and none.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiConnectionError, ApiStatusError, OpenAiHttp, type ChatChunk } from '../src/llm/openai-http.js';

/** What the server does with the next request. */
let answer: (response: ServerResponse, body: string) => void = (response) => response.end();
let server: Server;
let client: OpenAiHttp;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (piece: string) => (body += piece));
    request.on('end', () => answer(response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new OpenAiHttp(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, 'sk-test');
});
afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const chunk = (content: string) => JSON.stringify({ choices: [{ index: 0, delta: { content } }] });

async function collect(): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const piece of client.streamChat({ model: 'm', messages: [] }, new AbortController().signal)) chunks.push(piece);
  return chunks;
}

describe('a streamed answer', () => {
  it('is read in any spelling the event-stream format allows, and ends at [DONE]', async () => {
    let sent = '';
    answer = (response, body) => {
      sent = body;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(': a comment, as proxies send to keep the connection\r\n\r\n');
      response.write(`data: ${chunk('Hel')}\r\n\r\ndata:${chunk('lo')}\n\n`);
      // One event split across two packets, in the middle of its JSON.
      const split = `data: ${chunk(', world')}\n\n`;
      response.write(split.slice(0, 20));
      setImmediate(() => {
        response.write(split.slice(20));
        response.end(`event: ignored\ndata: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } })}\n\ndata: [DONE]\n\n`);
      });
    };
    const chunks = await collect();
    expect(chunks.map((c) => c.content ?? '').join('')).toBe('Hello, world');
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3 });
    expect(JSON.parse(sent)).toMatchObject({ model: 'm', stream: true });
  });

  it('a whole response without [DONE] (not every server sends it) is still the answer', async () => {
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(`data: ${chunk('all of it')}\n\n`);
    };
    expect((await collect()).map((c) => c.content)).toEqual(['all of it']);
  });

  it('an error sent mid-stream is an error, not an answer', async () => {
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(`data: ${chunk('half')}\n\ndata: ${JSON.stringify({ error: { message: 'litellm.APIConnectionError: backend gone' } })}\n\n`);
    };
    const error = await collect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiStatusError);
    expect((error as ApiStatusError).message).toBe('litellm.APIConnectionError: backend gone');
  });

  it('a stream that closes before [DONE], holds an unreadable event or a line without end is a broken connection', async () => {
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(`data: ${chunk('half')}\n\n`);
      setImmediate(() => response.destroy());
    };
    expect(await collect().catch((e: unknown) => e)).toBeInstanceOf(ApiConnectionError);
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end('data: {"choices": [\n\n');
    };
    expect(String(await collect().catch((e: unknown) => e))).toMatch(/unreadable event: \{"choices": \[/);
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(`data: ${'x'.repeat(5 * 1024 * 1024)}`); // and never a line end
    };
    expect(String(await collect().catch((e: unknown) => e))).toMatch(/a line over 4194304 characters without ending it/);
  });
});

describe('an error status', () => {
  it('carries the status and the message of LiteLLM’s body, of Ollama’s, or of none', async () => {
    const bodies: Array<[number, string, string]> = [
      [401, JSON.stringify({ error: { message: 'Authentication Error, Invalid proxy server token passed.', type: 'auth_error', code: '401' } }), '401 Authentication Error, Invalid proxy server token passed.'],
      [404, JSON.stringify({ error: 'model "llama9" not found, try pulling it first' }), '404 model "llama9" not found, try pulling it first'],
      [502, '', '502 status code (no body)'],
      [500, `<html>${'x'.repeat(200_000)}</html>`, `500 <html>${'x'.repeat(65_536 - 6)}`],
    ];
    for (const [status, body, message] of bodies) {
      answer = (response) => response.writeHead(status).end(body);
      const error = await collect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiStatusError);
      expect((error as ApiStatusError).status).toBe(status);
      expect((error as ApiStatusError).message).toBe(message);
    }
  });

  it('an unreachable server is a connection error whose cause names the system error', async () => {
    const closed = new OpenAiHttp('http://127.0.0.1:1/v1', 'k');
    const error = await closed.listModels(new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiConnectionError);
    expect((error as ApiConnectionError).message).toBe('Connection error.');
    expect(((error as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
    closed.close();
  });
});

describe('the model list', () => {
  it('lists the ids served, and a cancelled request is the caller’s reason, not a connection error', async () => {
    answer = (response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id: 'a/one' }, { id: 'b/two' }, { id: 3 }] }));
    expect(await client.listModels(new AbortController().signal)).toEqual(['a/one', 'b/two']);
    answer = () => undefined; // never answers
    const reason = new Error('gave up');
    const controller = new AbortController();
    const listing = client.listModels(controller.signal).catch((e: unknown) => e);
    setImmediate(() => controller.abort(reason));
    expect(await listing).toBe(reason);
  });
});
