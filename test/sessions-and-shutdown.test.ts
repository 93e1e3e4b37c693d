/**
 * Issue 8 items 6 and 18: open sessions are capped (the least recently used idle one makes room; a
 * busy one never does), so are calls in flight, a cancelled call is recorded as cancelled and frees its session, and at
 * SIGTERM every call in flight gets an answer and a session-log entry before the process exits 0.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeLiteLlm } from '../src/dev/fake-litellm.js';
import { startCli, type Exit } from './support/cli.js';
import { within } from './support/service.js';
import { startTestFake, startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { gate, GENEROUS_MS } from './support/wait.js';

let sup: TestSupervisor | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
/** Holds the fake model's answers (after their first piece) until the test opens it. */
let answers = gate();
afterEach(async () => {
  answers.open();
  answers = gate();
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  await sup?.stop();
  sup = undefined;
});

const ROOT = '/work/shop';
type Text = { type: string; text: string };
const textOf = (result: unknown) => (result as { content: Text[] }).content[0]?.text ?? '';
/** A model that starts answering at once, then finishes only when the test opens `answers`. */
const held = () => ({ kind: 'answer' as const, text: 'a slow but complete answer from the model', chunks: 8, until: answers.closed });

function initializeRaw(mcpUrl: string): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'flood', version: '1' } },
    }),
  });
}

async function openSessions(mcpUrl: string): Promise<number> {
  const health = await fetch(mcpUrl.replace(/\/mcp$/, '/health'));
  return ((await health.json()) as { sessions: number }).sessions;
}

async function connect(mcpUrl: string): Promise<Client> {
  const client = new Client({ name: 'session-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
  cleanups.push(() => client.close());
  return client;
}

type Call = (params: { name: string; arguments: Record<string, unknown> }, options?: { signal?: AbortSignal }) => Promise<{ isError?: boolean; content?: unknown }>;

/** A client of the era named: the v1 client (2025, a protocol session) or the v2 client pinned to 2026-07-28. */
async function connectIn(era: string, mcpUrl: string): Promise<{ callTool: Call }> {
  if (era === '2025') {
    const client = await connect(mcpUrl);
    return { callTool: (params, options) => client.callTool(params, undefined, options) as ReturnType<Call> };
  }
  const client = new ModernClient({ name: 'session-test', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new ModernTransport(new URL(mcpUrl)));
  cleanups.push(() => client.close());
  return { callTool: (params, options) => client.callTool(params, options) };
}

describe('calls in flight (SUPERVISOR_MAX_CALLS)', () => {
  it('past the cap a call is refused at once, naming the setting, and nothing reaches the model; later calls work', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_MAX_CALLS: '2' }, { answer: held() });
    const client = await connect(sup.mcpUrl);
    const running = [0, 1].map((i) => client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: `boom ${i}` } }));
    await within(GENEROUS_MS, async () => sup!.llm.requests.length === 2);
    const refused = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'one too many' } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('2 calls are in flight, the most it takes at once (SUPERVISOR_MAX_CALLS)');
    expect(sup.llm.requests).toHaveLength(2);
    answers.open();
    for (const result of await Promise.all(running)) expect(result.isError).toBeFalsy();
    expect((await client.callTool({ name: 'brain_query', arguments: { query: 'anything' } })).isError).toBeFalsy();
    expect(await (await fetch(sup.mcpUrl.replace(/\/mcp$/, '/metrics'))).text()).toContain('supervisor_errors_total{kind="busy"} 1');
  });
});

describe('session cap (SUPERVISOR_MAX_SESSIONS)', () => {
  it('50 initialize calls never leave more than 5 sessions open, and the server keeps answering', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_MAX_SESSIONS: '5' });
    for (let i = 0; i < 50; i++) {
      const response = await initializeRaw(sup.mcpUrl);
      expect(response.status).toBe(200);
      await response.body?.cancel();
      expect(await openSessions(sup.mcpUrl)).toBeLessThanOrEqual(5);
    }
    expect(await openSessions(sup.mcpUrl)).toBe(5);
    const client = await connect(sup.mcpUrl);
    expect((await client.callTool({ name: 'brain_query', arguments: { query: 'anything' } })).isError).toBeFalsy();
  });

  it('a busy session (a call in flight) is never the one closed to make room', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_MAX_SESSIONS: '3' }, { answer: held() });
    const busy = await connect(sup.mcpUrl);
    const call = busy.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'] } });
    await within(GENEROUS_MS, async () => sup!.llm.requests.length > 0);
    for (let i = 0; i < 20; i++) await (await initializeRaw(sup.mcpUrl)).body?.cancel();
    answers.open();
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('a slow but complete answer');
    // The busy session is still open: it answers another call.
    expect((await busy.callTool({ name: 'brain_query', arguments: { query: 'x' } })).isError).toBeFalsy();
  });

  it('when every session is busy, initialize is refused with an error naming SUPERVISOR_MAX_SESSIONS', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_MAX_SESSIONS: '2' }, { answer: held() });
    const calls = [];
    for (let i = 0; i < 2; i++) {
      const client = await connect(sup.mcpUrl);
      calls.push(client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: `boom ${i}` } }));
    }
    await within(GENEROUS_MS, async () => sup!.llm.requests.length === 2);
    const refused = await initializeRaw(sup.mcpUrl);
    expect(refused.status).toBe(503);
    expect(await refused.text()).toContain('all 2 (SUPERVISOR_MAX_SESSIONS) are busy');
    answers.open();
    for (const result of await Promise.all(calls)) expect(result.isError).toBeFalsy();
    // Once the calls are done, their sessions are idle and make room again.
    const later = await initializeRaw(sup.mcpUrl);
    expect(later.status).toBe(200);
    await later.body?.cancel();
  });
});

describe('cancellation', () => {
  it('a cancelled call is logged as cancelled (no fallback, no model failure) and does not keep its session busy', async () => {
    const sessionsDir = await mkdtemp(join(tmpdir(), 'supervisor-sessions-'));
    cleanups.push(() => rm(sessionsDir, { recursive: true, force: true }));
    sup = await startTestSupervisor({ SUPERVISOR_SESSIONS_DIR: sessionsDir, SUPERVISOR_SHUTDOWN_SECONDS: '15' }, { answer: held() });
    const client = await connect(sup.mcpUrl);
    const notices: string[] = [];
    client.fallbackNotificationHandler = async (notification) => void notices.push(JSON.stringify(notification));
    const abort = new AbortController();
    let progress = 0;
    const call = client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'], session_id: 'cancel-me' } }, undefined, {
      signal: abort.signal,
      onprogress: () => void progress++,
    });
    await within(GENEROUS_MS, async () => progress > 0); // the answer has started streaming
    abort.abort('changed my mind');
    await expect(call).rejects.toThrow();
    const logFile = join(sessionsDir, 'cancel-me.jsonl');
    await within(GENEROUS_MS, async () => (await readFile(logFile, 'utf8').catch(() => '')).length > 0);
    const entry = JSON.parse((await readFile(logFile, 'utf8')).trim()) as { final_status: string; attempts: Array<{ outcome: string }> };
    expect(entry.final_status).toBe('cancelled');
    expect(entry.attempts.map((a) => a.outcome)).toEqual(['cancelled']);
    expect(sup.llm.requests).toHaveLength(1); // no fallback to the next model
    expect(notices.join('\n')).not.toContain('failed');
    const metrics = await (await fetch(sup.mcpUrl.replace(/\/mcp$/, '/metrics'))).text();
    expect(metrics).not.toMatch(/outcome="empty"/);
    // Nothing is in flight any more: closing does not wait for the 15 s grace period.
    const started = performance.now();
    await sup.stop();
    sup = undefined;
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

/** The built command line serving with `env`; resolves once it listens. */
async function serve(env: Record<string, string>) {
  const server = await startCli(['serve'], { SUPERVISOR_PORT: '0', INGEST_PORT: '0', LOG_LEVEL: 'info', ...env }, /"url":"(http:[^"]+\/mcp)"/);
  cleanups.push(() => server.stop('SIGKILL'));
  const url = /"url":"(http:[^"]+\/mcp)"/.exec(server.stdout())?.[1] ?? '';
  return { url, kill: (signal: NodeJS.Signals) => server.child.kill(signal), exited: server.exited.then((exit: Exit) => ({ code: exit.code, output: exit.stdout + exit.stderr })) };
}

describe('shutdown (a real process)', () => {
  async function setUp(): Promise<{ llm: FakeLiteLlm; brainDir: string; sessionsDir: string }> {
    const llm = await startTestFake({ answer: held() });
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-shutdown-'));
    cleanups.push(() => llm.close(), () => rm(brainDir, { recursive: true, force: true }));
    return { llm, brainDir, sessionsDir: join(brainDir, 'sessions') };
  }

  it.each(['2025', '2026-07-28'])('SIGTERM (%s client): a call still running after the grace period gets a tool error saying so, is logged, and the process exits 0', async (era) => {
    const { llm, brainDir, sessionsDir } = await setUp();
    const server = await serve({ SUPERVISOR_BRAIN_DIR: brainDir, SUPERVISOR_SESSIONS_DIR: sessionsDir, LITELLM_BASE_URL: llm.url, SUPERVISOR_SHUTDOWN_SECONDS: '1' });
    const client = await connectIn(era, server.url);
    const call = client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'], session_id: 'at-shutdown' } });
    await within(GENEROUS_MS, async () => llm.requests.length === 1);
    server.kill('SIGTERM');
    const result = await call;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^the server is shutting down/);
    // The model never finishes its answer: exiting at all proves the grace period ended the call.
    const { code, output } = await server.exited;
    expect(code).toBe(0);
    expect(output).not.toMatch(/unclean shutdown|Plugin did not start in time/);
    const entry = JSON.parse((await readFile(join(sessionsDir, 'at-shutdown.jsonl'), 'utf8')).trim()) as { final_status: string; message: string };
    expect(entry.final_status).toBe('cancelled');
    expect(entry.message).toMatch(/^the server is shutting down/);
  });

  it.each(['2025', '2026-07-28'])('SIGTERM after a (%s) client cancelled its call exits at once, not after the grace period', async (era) => {
    const { llm, brainDir, sessionsDir } = await setUp();
    const server = await serve({ SUPERVISOR_BRAIN_DIR: brainDir, SUPERVISOR_SESSIONS_DIR: sessionsDir, LITELLM_BASE_URL: llm.url, SUPERVISOR_SHUTDOWN_SECONDS: '30' });
    const client = await connectIn(era, server.url);
    const abort = new AbortController();
    const call = client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'] } }, { signal: abort.signal });
    await within(GENEROUS_MS, async () => llm.requests.length === 1);
    abort.abort('never mind');
    await expect(call).rejects.toThrow();
    await within(GENEROUS_MS, async () => llm.aborted.length === 1);
    const started = performance.now();
    server.kill('SIGTERM');
    const { code } = await server.exited;
    expect(code).toBe(0);
    // Half the 30 s grace period: generous for a loaded machine, yet far from waiting it out.
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
