import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLiteLlm } from '../src/dev/fake-litellm.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
});

const metricLine = (text: string, pattern: RegExp) => text.split('\n').find((line) => pattern.test(line));

describe('GET /metrics', () => {
  it('on the MCP server: calls per tool and model, attempts, fallbacks, errors by kind, latency, sessions', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_MODEL_TIMEOUT_SECONDS: '1' });
    sup.llm.behave('gpu/qwen2.5-coder-32b', { kind: 'status', status: 503 });
    const client = await sup.connect();
    await client.callTool({ name: 'review', arguments: { project_root: '/p', files: ['a.ts'] } });
    sup.llm.behave('gpu/qwen2.5-coder-14b', { kind: 'status', status: 500 });
    await client.callTool({ name: 'review', arguments: { project_root: '/p', files: ['a.ts'] } });

    const response = await fetch(sup.mcpUrl.replace('/mcp', '/metrics'));
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(metricLine(text, /^supervisor_tool_calls_total\{tool="review",model="gpu\/qwen2\.5-coder-14b",outcome="ok"\}/)).toMatch(/ 1$/);
    expect(metricLine(text, /^supervisor_tool_calls_total\{tool="review",model="",outcome="error"\}/)).toMatch(/ 1$/);
    expect(metricLine(text, /^supervisor_model_fallbacks_total\{model="gpu\/qwen2\.5-coder-32b",reason="server_error"\}/)).toMatch(/ 2$/);
    expect(metricLine(text, /^supervisor_model_attempts_total\{model="gpu\/qwen2\.5-coder-14b",outcome="server_error"\}/)).toMatch(/ 1$/);
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

describe('SIGTERM', () => {
  it('lets a call in flight finish, refuses new work meanwhile, closes the sessions and exits 0', async () => {
    const llm = await startFakeLiteLlm();
    llm.behave('gpu/qwen2.5-coder-32b', { kind: 'answer', text: 'finished despite the shutdown', chunks: 4, delayMs: 1500 });
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-sigterm-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: { ...process.env, SUPERVISOR_PORT: '0', INGEST_PORT: '0', SUPERVISOR_BRAIN_DIR: brainDir, LITELLM_BASE_URL: llm.url, SUPERVISOR_SHUTDOWN_SECONDS: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => /MCP server listening/.test(stdout), 15_000);
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+\/mcp)"/.exec(stdout)?.[1] ?? '';
      const client = new Client({ name: 'sigterm-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const call = client.callTool({ name: 'review', arguments: { project_root: '/p', files: ['a.ts'] } });
      await waitFor(() => llm.requests.length === 1, 5000);

      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const during = await fetch(url.replace('/mcp', '/health')).then((r) => r.status, () => 'refused');
      expect([503, 'refused']).toContain(during);

      const result = await call;
      expect((result.content as Array<{ text: string }>)[0]?.text).toBe('finished despite the shutdown');
      expect(await exited).toBe(0);
      expect(stdout).toContain('waiting for calls in flight before closing MCP sessions');
    } finally {
      child.kill('SIGKILL');
      await llm.close();
      await rm(brainDir, { recursive: true, force: true });
    }
  });
});

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > ms) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
