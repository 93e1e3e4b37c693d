/**
 * What an MCP client sees while a consulting call waits: progress from the moment a model is asked,
 * and notices of a model failing over, on the call's own response stream, so that clients that never
 * open the separate GET stream (many do not) see them too. The real SDK client, its GET refused.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, LoggingMessageNotificationSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MODELS } from './support/fixture-config.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
});

const ROOT = '/work/shop';

/** A real SDK client whose GET stream the server never gets to open: its GET is answered 405, as by a server without one. */
async function clientWithoutGetStream(url: string, level?: LoggingLevel) {
  const gets: string[] = [];
  const fetchWithoutGet: typeof fetch = async (input, init) => {
    if ((init?.method ?? 'GET') === 'GET') {
      gets.push(String(input));
      return new Response(null, { status: 405 });
    }
    return fetch(input, init);
  };
  const client = new Client({ name: 'no-get-stream', version: '1.0.0' });
  const notices: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void notices.push(`${n.params.level}: ${String(n.params.data)}`));
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: fetchWithoutGet }));
  if (level) await client.setLoggingLevel(level);
  return { client, notices, gets };
}

describe('a client that holds no GET stream', () => {
  it('is told of a fallback before the answer arrives, on the call\'s own stream', async () => {
    sup = await startTestSupervisor();
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503, message: 'overloaded' });
    const { client, notices, gets } = await clientWithoutGetStream(sup.mcpUrl);
    const result = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'boom' } });
    expect(result.isError).toBeFalsy();
    // Delivered before the result, on the same response: no waiting needed.
    expect(notices).toEqual([`warning: ${MODELS.primary} failed (503 overloaded); asking ${MODELS.fallback}`]);
    expect(gets.length).toBeGreaterThan(0); // the client did try, and had no GET stream
    await client.close();
  });

  it('the level the client set still filters them', async () => {
    sup = await startTestSupervisor();
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503 });
    const { client, notices } = await clientWithoutGetStream(sup.mcpUrl, 'error');
    const result = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'boom' } });
    expect(result.isError).toBeFalsy();
    expect(notices).toEqual([]);
    await client.close();
  });

  it('gets progress from the moment each model is asked, before its first token', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_MODEL_TIMEOUT_SECONDS: '1' });
    sup.llm.behave(MODELS.primary, { kind: 'hang' });
    sup.llm.behave(MODELS.fallback, { kind: 'answer', text: 'y'.repeat(300), chunks: 6, delayMs: 900 });
    const { client } = await clientWithoutGetStream(sup.mcpUrl);
    const progress: string[] = [];
    const result = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'] } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p.message ?? ''),
    });
    expect(result.isError).toBeFalsy();
    expect(progress[0]).toBe(`asking ${MODELS.primary} (gives up after 1 s)`);
    expect(progress).toContain(`asking ${MODELS.fallback} (gives up after 1 s)`);
    const asked = progress.indexOf(`asking ${MODELS.fallback} (gives up after 1 s)`);
    expect(progress.slice(asked + 1).some((m) => /^\d+ characters received$/.test(m))).toBe(true);
    await client.close();
  });
});

describe('the resilience ladder, through the MCP client', () => {
  it('a context-window error gets the prompt fitted to the window LiteLLM names and the same model asked again; attempts and cut say so', async () => {
    const sent: Array<{ model: string; user: string }> = [];
    // LiteLLM's own answer to a prompt past an Ollama model's num_ctx, then the model answering the smaller prompt.
    const litellm = createServer((req, res) => {
      // The server asks at start which models there are (GET /v1/models, /model/info): none it knows.
      if (req.method !== 'POST') return void res.writeHead(404).end();
      let raw = '';
      req.on('data', (chunk) => (raw += String(chunk)));
      req.on('end', () => {
        const body = JSON.parse(raw) as { model: string; messages: Array<{ content: string }> };
        sent.push({ model: body.model, user: body.messages[1]?.content ?? '' });
        if (sent.length === 1) {
          const message = `litellm.ContextWindowExceededError: litellm.BadRequestError: OllamaException - This model's maximum context length is 4096 tokens. However, you requested 30000 tokens.\nReceived Model Group=${body.model}\nAvailable Model Group Fallbacks=None`;
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type: null, param: null, code: '400' } }));
          return;
        }
        const chunk = { id: 'c', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta: { content: 'reviewed' }, finish_reason: null }] };
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`);
      });
    });
    await new Promise<void>((resolve) => litellm.listen(0, '127.0.0.1', resolve));
    try {
      sup = await startTestSupervisor({ LITELLM_BASE_URL: `http://127.0.0.1:${(litellm.address() as AddressInfo).port}` });
      const client = await sup.connect();
      const notices: string[] = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void notices.push(String(n.params.data)));
      const code = Array.from({ length: 1500 }, (_, i) => `export const value${i} = ${i};`).join('\n');
      const result = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['big.ts'], attachments: [{ path: 'big.ts', content: code }] } });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        text: 'reviewed',
        model: MODELS.primary,
        attempts: [
          { model: MODELS.primary, outcome: 'context_exceeded', status: 400 },
          { model: MODELS.primary, outcome: 'ok', refit_window: 4096 },
        ],
        cut: { truncated: ['big.ts'] },
      });
      expect(sent.map((s) => s.model)).toEqual([MODELS.primary, MODELS.primary]);
      expect(sent[1]!.user.length).toBeLessThan(sent[0]!.user.length / 2);
      expect(sent[0]!.user).not.toContain('[cut:');
      expect(notices).toContain(`${MODELS.primary} said the prompt exceeds its context window; asking it again with the prompt fitted to 4096 tokens`);
    } finally {
      litellm.close();
    }
  });
});
