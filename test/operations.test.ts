import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, get, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli } from './support/cli.js';
import { MODELS } from './support/fixture-config.js';
import { startTestFake, startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { gate, waitFor } from './support/wait.js';

let sup: TestSupervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
});

/** The line of a metric: `pattern` matches it, or it starts with the string `pattern`. */
const metricLine = (text: string, pattern: RegExp | string) =>
  text.split('\n').find((line) => (typeof pattern === 'string' ? line.startsWith(pattern) : pattern.test(line)));

describe('GET /metrics', () => {
  it('on the MCP server: calls per tool and model, attempts, fallbacks, errors by kind, latency, sessions', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_MODEL_TIMEOUT_SECONDS: '1' });
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503 });
    const client = await sup.connect();
    await client.callTool({ name: 'review', arguments: { project_root: '/p', files: ['a.ts'] } });
    sup.llm.behave(MODELS.fallback, { kind: 'status', status: 500 });
    await client.callTool({ name: 'review', arguments: { project_root: '/p', files: ['a.ts'] } });

    const response = await fetch(sup.mcpUrl.replace('/mcp', '/metrics'));
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(metricLine(text, `supervisor_tool_calls_total{tool="review",model="${MODELS.fallback}",outcome="ok"}`)).toMatch(/ 1$/);
    expect(metricLine(text, /^supervisor_tool_calls_total\{tool="review",model="",outcome="error"\}/)).toMatch(/ 1$/);
    expect(metricLine(text, `supervisor_model_fallbacks_total{model="${MODELS.primary}",reason="server_error"}`)).toMatch(/ 2$/);
    expect(metricLine(text, `supervisor_model_attempts_total{model="${MODELS.fallback}",outcome="server_error"}`)).toMatch(/ 1$/);
    expect(metricLine(text, /^supervisor_errors_total\{kind="models_failed"\}/)).toMatch(/ 1$/);
    expect(metricLine(text, /^supervisor_tool_call_duration_seconds_count\{tool="review"\}/)).toMatch(/ 2$/);
    expect(metricLine(text, /^supervisor_mcp_sessions /)).toBe('supervisor_mcp_sessions 1');
    expect(text).toContain('supervisor_process_resident_memory_bytes');
  });

  it('on the ingestion service: notes, query latency, writes by result; open even with a token', async () => {
    sup = await startTestSupervisor({ INGEST_TOKEN: 'ingest-token-0123456789' });
    const ingest = sup.ingestion!.url;
    const post = (path: string, body: unknown) =>
      fetch(ingest + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ingest-token-0123456789' }, body: JSON.stringify(body) });
    await post('/write', { content: 'a', filename: 'one' });
    await post('/write', { content: 'a', filename: 'one' });
    await post('/query', { query: 'a' });
    const text = await (await fetch(`${ingest}/metrics`)).text();
    expect(metricLine(text, /^supervisor_brain_notes /)).toBe('supervisor_brain_notes 1');
    expect(metricLine(text, /^supervisor_brain_writes_total\{result="created"\}/)).toMatch(/ 1$/);
    expect(metricLine(text, /^supervisor_brain_writes_total\{result="conflict"\}/)).toMatch(/ 1$/);
    expect(metricLine(text, /^supervisor_brain_query_duration_seconds_count /)).toBe('supervisor_brain_query_duration_seconds_count 1');
  });
});

/** GET through `agent`, read to the end; the socket is the connection it came on. */
function getHealth(url: string, agent: Agent): Promise<{ status: number; headers: IncomingHttpHeaders; socket: Socket }> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => {
      const socket = response.socket; // detached from the response once it ends
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, socket }));
    }).on('error', reject);
  });
}

describe('SIGTERM', () => {
  it('lets a call in flight finish, refuses new work meanwhile, closes the sessions and exits 0', async () => {
    const llm = await startTestFake();
    const answer = gate(); // the model finishes only once the test has seen the shutdown start
    llm.behave(MODELS.primary, { kind: 'answer', text: 'finished despite the shutdown', chunks: 4, until: answer.closed });
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-sigterm-'));
    try {
      const server = await startCli(
        ['serve'],
        { SUPERVISOR_PORT: '0', INGEST_PORT: '0', SUPERVISOR_BRAIN_DIR: brainDir, LITELLM_BASE_URL: llm.url, SUPERVISOR_SHUTDOWN_SECONDS: '10' },
        /MCP server listening/,
      );
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+\/mcp)"/.exec(server.stdout())?.[1] ?? '';
      const client = new Client({ name: 'sigterm-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const call = client.callTool({ name: 'review', arguments: { project_root: '/p', files: ['a.ts'] } });
      await waitFor(() => llm.requests.length === 1, 'the call reaching LiteLLM');

      // A keep-alive connection left idle, as a proxy's pool holds one.
      const healthUrl = url.replace('/mcp', '/health');
      const pooled = await getHealth(healthUrl, new Agent({ keepAlive: true }));
      expect(pooled.status).toBe(200);
      const pooledClosed = new Promise((resolve) => pooled.socket.once('close', resolve));

      server.child.kill('SIGTERM');
      await waitFor(() => server.stdout().includes('waiting for calls in flight before closing MCP sessions'), 'the shutdown starting');
      // The idle connection is closed, so its owner reconnects (to a replica that is up) ...
      await pooledClosed;
      // ... and an answer during the drain closes its connection too.
      const during = await getHealth(healthUrl, new Agent({ keepAlive: true }));
      expect(during.status).toBe(503);
      expect(during.headers.connection).toBe('close');
      answer.open();

      const result = await call;
      expect((result.structuredContent as { text: string }).text).toBe('finished despite the shutdown');
      expect((await server.exited).code).toBe(0);
    } finally {
      await llm.close();
      await rm(brainDir, { recursive: true, force: true });
    }
  });
});
