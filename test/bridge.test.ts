import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs } from './support/cli.js';
import { MODELS } from './support/fixture-config.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

let sup: TestSupervisor;
let project: string;
let outside: string;
const clients: Client[] = [];

beforeAll(async () => {
  sup = await startTestSupervisor({ SUPERVISOR_TOKEN: 'bridge-token-0123456789' });
  project = await mkdtemp(join(tmpdir(), 'supervisor-bridge-project-'));
  outside = await mkdtemp(join(tmpdir(), 'supervisor-bridge-outside-'));
  await mkdir(join(project, 'src'));
  await writeFile(join(project, 'src', 'cart.ts'), 'export const total = (items) => items.reduce((s, i) => s + i.price, 0);\n');
  await writeFile(join(project, 'src', 'huge.ts'), 'x'.repeat(200_000));
  await writeFile(join(outside, 'secret.txt'), 'password=hunter2');
  await symlink(join(outside, 'secret.txt'), join(project, 'src', 'escape.ts'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await sup.stop();
  await rm(project, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const bridgeArgs = cliArgs('bridge');

async function bridge(env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: bridgeArgs,
    env: {
      ...(process.env as Record<string, string>),
      SUPERVISOR_URL: sup.mcpUrl,
      SUPERVISOR_TOKEN: 'bridge-token-0123456789',
      BRIDGE_FILE_CAP_KB: '16',
      BRIDGE_PROJECT_ROOTS: project, // the bridge runs in this repository, the test project is elsewhere
      ...env,
    },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'bridge-test', version: '1' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const texts = (result: unknown) => ((result as { content: Array<{ text: string }> }).content ?? []).map((c) => c.text);

describe('the stdio bridge', () => {
  it('lists the remote tools', async () => {
    const client = await bridge();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('review');
    expect(tools).toHaveLength(11);
  });

  it('reads the files a call names and the remote model sees them; escapes and oversize are refused visibly', async () => {
    const client = await bridge();
    const result = await client.callTool({
      name: 'review',
      arguments: { project_root: project, files: ['src/cart.ts', 'src/huge.ts', 'src/escape.ts', '../outside/secret.txt'] },
    });
    const user = sup.llm.requests.at(-1)?.messages[1]?.content ?? '';
    expect(user).toContain('1 | export const total = (items) => items.reduce');
    expect(user).not.toContain('hunter2');
    const report = texts(result).at(-1) ?? '';
    expect(report).toMatch(/^Files read by the bridge:\n- src\/cart\.ts: attached \(72 characters\)/);
    expect(report).toMatch(/- src\/huge\.ts: attached \(16384 characters, first 16384 characters only\)/);
    expect(report).toContain('- src/escape.ts: skipped, resolves outside project_root (a symbolic link)');
    expect(report).toContain('- ../outside/secret.txt: skipped, paths must be relative to project_root, without ..');
    expect((result.structuredContent as { bridge_files: unknown[] }).bridge_files).toHaveLength(4);
  });

  it('passes progress notifications through', async () => {
    sup.llm.behave(MODELS.planner, { kind: 'answer', text: 'z'.repeat(500), chunks: 10, delayMs: 1200 });
    const client = await bridge();
    const progress: number[] = [];
    await client.callTool({ name: 'spec', arguments: { project_root: project, requirements: 'x' } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(progress.length).toBeGreaterThanOrEqual(2);
  });

  it('passes log messages through: a model failing over to the next is announced', async () => {
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503, message: 'overloaded' });
    const client = await bridge();
    const messages: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(n.params));
    await client.setLoggingLevel('info');
    const result = await client.callTool({ name: 'debug', arguments: { project_root: project, error: 'x' } });
    expect(result.isError).toBeFalsy();
    await waitFor(() => messages.length > 0, 'a log message');
    expect(messages[0]).toEqual({ level: 'warning', logger: 'supervisor', data: `${MODELS.primary} failed (503 overloaded); asking ${MODELS.fallback}` });
  });

  it('passes cancellation through to LiteLLM', async () => {
    sup.llm.behave(MODELS.primary, { kind: 'hang' });
    const client = await bridge();
    const before = sup.llm.requests.length;
    const controller = new AbortController();
    const call = client.callTool({ name: 'debug', arguments: { project_root: project, error: 'x' } }, CallToolResultSchema, { signal: controller.signal });
    await waitFor(() => sup.llm.requests.length > before, 'the call reaching LiteLLM');
    controller.abort();
    await expect(call).rejects.toThrow();
    await waitFor(() => sup.llm.aborted.includes(MODELS.primary), 'the abort reaching LiteLLM');
  });

  // With no server, or a wrong token, at start it stays up and says why on every call: bridge-unreached.test.ts.
});

describe('the remote lost mid-session', () => {
  it('holds one consultation session for its life: history without a session_id, across a remote restart', async () => {
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-bridge-session-'));
    const first = await startTestSupervisor({ SUPERVISOR_BRAIN_DIR: brainDir });
    const port = Number(new URL(first.mcpUrl).port);
    const client = await bridge({ SUPERVISOR_URL: first.mcpUrl, SUPERVISOR_TOKEN: '' });
    const spec = await client.callTool({ name: 'spec', arguments: { project_root: project, requirements: 'a cart' } });
    const id = (spec.structuredContent as { session_id: string }).session_id;
    expect(texts(spec)[0]).not.toContain('started session');
    await first.stop();

    const back = await startTestSupervisor({ SUPERVISOR_PORT: String(port), SUPERVISOR_BRAIN_DIR: brainDir });
    try {
      const debug = await client.callTool({ name: 'debug', arguments: { project_root: project, error: 'NaN' } });
      expect((debug.structuredContent as { session_id: string }).session_id).toBe(id);
      expect(JSON.stringify(back.llm.requests[0]?.messages)).toMatch(/## Session history\\n\\n- [^\\]*spec \(spec\) ok/);
      const retrospective = await client.callTool({ name: 'retrospective', arguments: {} });
      expect(retrospective.isError).toBeFalsy();
    } finally {
      await back.stop();
      await rm(brainDir, { recursive: true, force: true });
    }
  });

  it('gives tool errors that say so, and works again when the remote is back', async () => {
    const other = await startTestSupervisor();
    const port = Number(new URL(other.mcpUrl).port);
    const client = await bridge({ SUPERVISOR_URL: other.mcpUrl, SUPERVISOR_TOKEN: '' });
    expect((await client.callTool({ name: 'brain_query', arguments: { query: 'x' } })).isError).toBeFalsy();

    const brainDir = other.brainDir;
    await other.close();
    const lost = await client.callTool({ name: 'brain_query', arguments: { query: 'x' } });
    expect(lost.isError).toBe(true);
    expect(texts(lost)[0]).toMatch(/^no MCP server answers at http:\/\/127\.0\.0\.1:\d+\/mcp \(ECONNREFUSED\): start it with `supervisor serve`, or set SUPERVISOR_URL to where it runs\. The bridge tries again on every call\.$/);

    const back = await startTestSupervisor({ SUPERVISOR_PORT: String(port), SUPERVISOR_BRAIN_DIR: brainDir });
    try {
      const again = await client.callTool({ name: 'brain_query', arguments: { query: 'x' } });
      expect(again.isError).toBeFalsy();
    } finally {
      await back.stop();
      await other.llm.close();
    }
  });
});
