import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { freePort } from './support/ports.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { buildMcpApp } from '../src/mcp/http.js';
import { MODELS } from './support/fixture-config.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

let sup: TestSupervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
});

const ROOT = '/work/shop';
type Text = { type: string; text: string };
const textOf = (result: unknown) => ((result as { content: Text[] }).content)[0]?.text ?? '';
/** `text` as a regular expression that matches it literally. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');


describe('model failures', () => {
  it('falls back along the chain in order and says which model answered', async () => {
    sup = await startTestSupervisor();
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503 });
    sup.llm.behave(MODELS.fallback, { kind: 'answer', text: 'from the second model' });
    const client = await sup.connect();
    const result = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'] } });
    expect(textOf(result)).toMatch(/^from the second model\n\n\*\*supervisor:\*\* answered by test\/fallback after test\/primary failed \(503\); /);
    expect(result.structuredContent).toMatchObject({
      model: MODELS.fallback,
      attempts: [
        { model: MODELS.primary, outcome: 'server_error', status: 503 },
        { model: MODELS.fallback, outcome: 'ok' },
      ],
    });
  });

  it('when the whole chain fails the tool error names every model, why, and what to check; the session logs it', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_MODEL_TIMEOUT_SECONDS: '1' });
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 429 });
    sup.llm.behave(MODELS.fallback, { kind: 'hang' });
    const client = await sup.connect();
    const result = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'boom', session_id: 'fails-1' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      new RegExp(`^every model failed at LiteLLM http://127\\.0\\.0\\.1:\\d+ — ${literally(MODELS.primary)}: 429 .*; ${literally(MODELS.fallback)}: no complete answer within 1\\.0 s`),
    );
    expect(textOf(result)).toMatch(/What to do: LiteLLM is rate-limiting.*; the model may be overloaded/);
    const log = await sup.sessionFiles!.read('fails-1');
    expect(log).toMatchObject([{ skill: 'debug', final_status: 'error', attempts: [{ outcome: 'rate_limited' }, { outcome: 'timeout' }] }]);
  });

  it('LiteLLM down: a tool error that says to start it, and the server keeps serving', async () => {
    const port = await freePort();
    sup = await startTestSupervisor({ LITELLM_BASE_URL: `http://127.0.0.1:${port}` });
    const client = await sup.connect();
    const result = await client.callTool({ name: 'spec', arguments: { project_root: ROOT, requirements: 'x' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('connection refused');
    expect(textOf(result)).toContain('start LiteLLM or set LITELLM_BASE_URL');
    const brain = await client.callTool({ name: 'brain_query', arguments: { query: 'anything' } });
    expect(brain.isError).toBeFalsy();
  });

  it('a caller\'s model replaces the chain', async () => {
    sup = await startTestSupervisor();
    const client = await sup.connect();
    await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'x', model: 'laptop/phi-4' } });
    expect(sup.llm.requests.map((r) => r.model)).toEqual(['laptop/phi-4']);
  });
});

describe('streaming and cancellation', () => {
  it('progress notifications arrive while the model writes, when the client asks for them', async () => {
    sup = await startTestSupervisor();
    sup.llm.behave(MODELS.primary, { kind: 'answer', text: 'y'.repeat(600), chunks: 10, delayMs: 1200 });
    const client = await sup.connect();
    const progress: Array<{ progress: number; message?: string }> = [];
    const result = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'] } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p),
    });
    expect((result.structuredContent as { text: string }).text).toHaveLength(600);
    expect(progress[0]?.message).toBe(`asking ${MODELS.primary} (gives up after 5 s)`);
    expect(progress.filter((p) => /^\d+ characters received$/.test(p.message ?? '')).length).toBeGreaterThanOrEqual(2);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
  });

  it('cancelling the MCP request aborts the request to LiteLLM', async () => {
    sup = await startTestSupervisor();
    sup.llm.behave(MODELS.primary, { kind: 'hang' });
    const client = await sup.connect();
    const controller = new AbortController();
    const call = client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'], session_id: 'cancel-1' } }, CallToolResultSchema, {
      signal: controller.signal,
    });
    await waitFor(() => sup!.llm.requests.length === 1, 'the call reaching LiteLLM');
    controller.abort();
    await expect(call).rejects.toThrow();
    await waitFor(() => sup!.llm.aborted.includes(MODELS.primary), 'the abort reaching LiteLLM');
    // the cancelled call did not go on to the next model: by the time it is logged, the chain has stopped
    await waitFor(async () => (await sup!.sessionFiles!.read('cancel-1')).length > 0, 'the cancelled call being logged');
    expect(sup.llm.requests.map((r) => r.model)).toEqual([MODELS.primary]);
  });
});

describe('the brain unreachable', () => {
  it('a consulting call still answers, without knowledge, and says so', async () => {
    const port = await freePort();
    sup = await startTestSupervisor({ INGEST_BASE_URL: `http://127.0.0.1:${port}` });
    const client = await sup.connect();
    const result = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'x' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ knowledge: [], brain: expect.stringMatching(/^unavailable \(ingestion service at http:\/\/127\.0\.0\.1:\d+ unreachable: ECONNREFUSED\); answered without knowledge$/) });
    expect(sup.llm.requests.at(-1)?.messages[1]?.content).not.toContain('## Relevant knowledge');
    const brain = await client.callTool({ name: 'brain_query', arguments: { query: 'x' } });
    expect(brain.isError).toBe(true);
    expect(textOf(brain)).toMatch(/the brain is unavailable/);
  });
});

describe('bad arguments get one line naming the argument and its rule', () => {
  const cases: Array<[string, string, Record<string, unknown>, RegExp]> = [
    ['a relative project_root', 'review', { project_root: 'shop', files: ['a.ts'] }, /^project_root must be an absolute path$/],
    ['a missing required argument', 'tdd_green', { project_root: ROOT }, /^test_path is required$/],
    ['a review naming no files', 'review', { project_root: ROOT, files: [] }, /^files must name at least one file$/],
    ['an invalid session_id', 'debug', { project_root: ROOT, error: 'x', session_id: '../../etc/passwd' }, /^session_id: 1–128 letters, digits, - or _$/],
  ];
  it.each(cases)('%s', async (_what, name, args, reason) => {
    sup = await startTestSupervisor();
    const client = await sup.connect();
    const outcome = await client.callTool({ name, arguments: args }).then(
      (result) => (result.isError ? textOf(result) : 'no error'),
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(reason);
    expect(sup.llm.requests).toEqual([]);
  });
});

describe('session log', () => {
  it('a torn or corrupt line is skipped and the next entry stays readable', async () => {
    sup = await startTestSupervisor();
    const dir = join(sup.brainDir, 'sessions');
    await mkdir(dir, { recursive: true });
    const good = { session_id: 'torn-1', timestamp: new Date().toISOString(), skill: 'debug', phase: 'debug', project_root: ROOT, final_status: 'ok', model_used: 'm', duration_ms: 5, message: 'an earlier finding', attempts: [], usage: null };
    await appendFile(join(dir, 'torn-1.jsonl'), `${JSON.stringify(good)}\nnot json at all\n{"session_id":"torn-1","skill":"rev`);
    const client = await sup.connect();
    const result = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'], session_id: 'torn-1' } });
    expect(result.isError).toBeFalsy();
    expect(sup.llm.requests.at(-1)?.messages[1]?.content).toContain('debug (debug) ok by m: an earlier finding');
    expect((await sup.sessionFiles!.read('torn-1')).map((e) => e.skill)).toEqual(['debug', 'review']);
  });
});

describe('status', () => {
  it('reports LiteLLM, which configured models it serves and which are missing, and the brain', async () => {
    sup = await startTestSupervisor();
    sup.llm.serve([MODELS.primary, MODELS.fallback, 'other/model']);
    await sup.deps.brain.write({ content: 'x', filename: 'one' });
    const client = await sup.connect();
    const result = await client.callTool({ name: 'status', arguments: {} });
    expect(result.structuredContent).toMatchObject({
      litellm: { reachable: true, models_served: [MODELS.primary, MODELS.fallback, 'other/model'], models_missing: [MODELS.small, MODELS.planner] },
      brain: { reachable: true, notes: 1 },
    });
    expect(textOf(result)).toContain(`Named in models.yaml but not served: ${MODELS.small}, ${MODELS.planner}`);
  });

  it('answers within its bound when LiteLLM and the brain are both down', async () => {
    const [litellm, ingest] = [await freePort(), await freePort()];
    sup = await startTestSupervisor({ LITELLM_BASE_URL: `http://127.0.0.1:${litellm}`, INGEST_BASE_URL: `http://127.0.0.1:${ingest}` });
    const client = await sup.connect();
    const started = performance.now();
    const result = await client.callTool({ name: 'status', arguments: {} });
    // Refused at once, so far below the probes' own 2 s bounds; generous for a loaded machine, and a
    // status call that hung would still fail it.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.structuredContent).toMatchObject({ litellm: { reachable: false }, brain: { reachable: false } });
    expect(textOf(result)).toMatch(/LiteLLM at .*: NOT reachable.*Start LiteLLM .* point LITELLM_BASE_URL at it, or run `npm run fake-llm`/);
  });
});

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

describe('HTTP guards', () => {
  const post = (url: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(initialize) });

  it('a foreign Host or Origin gets 403', async () => {
    sup = await startTestSupervisor();
    const url = sup.mcpUrl;
    expect((await post(url, { origin: 'https://evil.example' })).status).toBe(403);
    const rebound = await rawPost(url, { host: 'evil.example:3200' });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('Host \\"evil.example\\" is not allowed');
    expect((await post(url, { origin: 'http://localhost:5173' })).status).toBe(200);
  });

  it('with SUPERVISOR_TOKEN set, a missing or wrong token gets 403 saying so (no OAuth challenge), and the right one connects', async () => {
    const token = 'mcp-token-0123456789abcdef';
    sup = await startTestSupervisor({ SUPERVISOR_TOKEN: token });
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Array<Record<string, string>>) {
      const response = await post(sup.mcpUrl, headers);
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(await response.text()).toContain('wrong or missing bearer token');
    }
    const client: Client = await sup.connect({ authorization: `Bearer ${token}` });
    expect((await client.listTools()).tools.length).toBe(11);
    expect(sup.logs()).not.toContain(token);
  });

  it('a request body over the limit is refused', async () => {
    sup = await startTestSupervisor();
    const response = await fetch(sup.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ ...initialize, padding: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(response.status).toBe(413);
  });

  it('idle sessions are closed, and their session id then answers 404', async () => {
    sup = await startTestSupervisor();
    // Long enough that a loaded machine finishes the handshake inside it; the test then waits for the
    // close itself, never for a time.
    const app = buildMcpApp({ deps: sup.deps, logger: createLogger('silent'), version: 'test', bindHost: '127.0.0.1', allowedHosts: [], sessionIdleMs: 2000 });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const client = new Client({ name: 'idle-test', version: '1' });
      const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`));
      await client.connect(transport);
      expect(transport.sessionId).toBeTruthy();
      await waitFor(() => app.sessionCount() === 0, 'the idle session being closed');
      await expect(client.listTools()).rejects.toThrow(/Session not found|404/);
      await client.close();
    } finally {
      await app.close();
    }
  });

  it('shutting down closes every open session', async () => {
    sup = await startTestSupervisor();
    await sup.connect();
    await sup.connect();
    expect(sup.sessionCount()).toBe(2);
    await sup.close();
    expect(sup.sessionCount()).toBe(0);
  });
});

function rawPost(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return import('node:http').then(
    ({ request }) =>
      new Promise((resolve, reject) => {
        const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += String(chunk)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(initialize));
      }),
  );
}
