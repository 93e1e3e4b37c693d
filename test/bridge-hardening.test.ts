/**
 * The bridge under hostile or unlucky conditions: a project_root it must not read, files that are not
 * regular files, a server that is not up yet when it starts, and a server that dies mid-call.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeLiteLlm } from '../src/dev/fake-litellm.js';
import { cliArgs, REPO as repo, runCli, spawnCli, type RunningCli } from './support/cli.js';
import { freePort } from './support/ports.js';
import { startTestFake, startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

let sup: TestSupervisor;
let base: string;
let project: string;
let other: string;
let outside: string;
const clients: Client[] = [];

beforeAll(async () => {
  sup = await startTestSupervisor();
  base = await realpath(await mkdtemp(join(tmpdir(), 'supervisor-bridge-hardening-')));
  project = join(base, 'project');
  other = join(base, 'other');
  outside = join(base, 'outside');
  for (const dir of [project, join(other, 'lib'), outside]) await mkdir(dir, { recursive: true });
  await writeFile(join(project, 'cart.ts'), 'export const cart = 1;\n');
  await writeFile(join(other, 'lib', 'util.ts'), 'export const util = 2;\n');
  await writeFile(join(outside, 'secret.txt'), 'password=hunter2\n');
  await symlink(outside, join(project, 'looks-inside')); // a project_root under the project that really is outside
  await symlink(other, join(base, 'other-link'));
  await symlink(project, join(base, 'project-link'));
  execFileSync('mkfifo', [join(project, 'pipe.ts')]);
  await symlink('/dev/zero', join(project, 'zero.ts'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await sup.stop();
  await rm(base, { recursive: true, force: true });
});

async function bridge(env: Record<string, string>, cwd = repo, onStderr?: (chunk: string) => void): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: cliArgs('bridge'),
    cwd,
    env: { ...(process.env as Record<string, string>), SUPERVISOR_URL: sup.mcpUrl, SUPERVISOR_TOKEN: '', BRIDGE_PROJECT_ROOTS: '', ...env },
    stderr: 'pipe',
  });
  if (onStderr) transport.stderr?.on('data', (chunk) => onStderr(String(chunk)));
  const client = new Client({ name: 'bridge-hardening-test', version: '1' });
  clients.push(client);
  await client.connect(transport);
  return client;
}

const texts = (result: unknown) => ((result as { content: Array<{ text: string }> }).content ?? []).map((c) => c.text);
const lastUserPrompt = () => sup.llm.requests.at(-1)?.messages[1]?.content ?? '';

describe('project_root: only the working directory and BRIDGE_PROJECT_ROOTS', () => {
  it('refuses any other project_root, symbolic links resolved: a tool error naming BRIDGE_PROJECT_ROOTS, nothing reaches the model', async () => {
    const client = await bridge({ BRIDGE_PROJECT_ROOTS: other }, project);
    for (const root of [outside, '/etc', join(project, 'looks-inside'), join(project, '..', 'outside')]) {
      const before = sup.llm.requests.length;
      const result = await client.callTool({ name: 'review', arguments: { project_root: root, files: ['secret.txt', 'passwd'] } });
      expect(result.isError).toBe(true);
      const text = texts(result).join('\n');
      expect(text).toContain(`project_root ${root} is outside the folders the bridge may read`);
      expect(text).toMatch(/- secret\.txt: skipped, project_root is outside the bridge's working directory and BRIDGE_PROJECT_ROOTS/);
      expect(text).toMatch(/- passwd: skipped, project_root is outside the bridge's working directory and BRIDGE_PROJECT_ROOTS/);
      expect(sup.llm.requests.length).toBe(before);
    }
    expect(JSON.stringify(sup.llm.requests)).not.toContain('hunter2');

    // Files the caller attached itself need no reading: the call goes out with them.
    const attached = await client.callTool({
      name: 'review',
      arguments: { project_root: outside, files: ['./given.ts'], attachments: [{ path: 'given.ts', content: 'export const given = 3;' }] },
    });
    expect(attached.isError).toBeFalsy();
    expect(lastUserPrompt()).toContain('export const given = 3;');
  });

  it('reads under its working directory and each BRIDGE_PROJECT_ROOTS entry, compared as real paths', async () => {
    // The bridge starts in the project through a symbolic link; the listed root is a link too.
    const client = await bridge({ BRIDGE_PROJECT_ROOTS: `/nonexistent/ignored,${join(base, 'other-link')}` }, join(base, 'project-link'));
    const inProject = await client.callTool({ name: 'review', arguments: { project_root: project, files: ['cart.ts'] } });
    expect(inProject.isError).toBeFalsy();
    expect(lastUserPrompt()).toContain('export const cart = 1;');
    const inOther = await client.callTool({ name: 'review', arguments: { project_root: join(other, 'lib'), files: ['util.ts'] } });
    expect(inOther.isError).toBeFalsy();
    expect(lastUserPrompt()).toContain('export const util = 2;');
    const relative = await client.callTool({ name: 'review', arguments: { project_root: '.', files: ['cart.ts'] } });
    expect(texts(relative).at(-1)).toMatch(/- cart\.ts: attached/);
  });

  it.each([
    [{ BRIDGE_PROJECT_ROOTS: 'relative/dir' }, 'supervisor: BRIDGE_PROJECT_ROOTS must list absolute paths, separated by : or , (got "relative/dir")'],
    [{ BRIDGE_CONNECT_SECONDS: 'soon' }, 'supervisor: BRIDGE_CONNECT_SECONDS must be a whole number of seconds (got "soon")'],
  ])('a bad setting stops the start with one line: %j', async (env, line) => {
    const run = await runCli(['bridge'], { SUPERVISOR_URL: sup.mcpUrl, ...env });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${line}\n`);
    expect(run.stdout).toBe('');
  });
});

describe('files that are not regular files', () => {
  it('a FIFO, a link to /dev/zero and devices: the call answers and each is skipped as not a regular file', async () => {
    const client = await bridge({ BRIDGE_PROJECT_ROOTS: '/dev' }, project);
    const inProject = await client.callTool(
      { name: 'review', arguments: { project_root: project, files: ['pipe.ts', 'zero.ts', 'cart.ts'] } },
      CallToolResultSchema,
      { timeout: 8000 },
    );
    expect(inProject.isError).toBeFalsy();
    const report = texts(inProject).at(-1) ?? '';
    expect(report).toMatch(/- pipe\.ts: skipped, not a regular file/);
    // The link leads out of the project as well: either reason keeps it out.
    expect(report).toMatch(/- zero\.ts: skipped, (not a regular file|resolves outside project_root)/);
    expect(report).toMatch(/- cart\.ts: attached/);

    const devices = await client.callTool({ name: 'review', arguments: { project_root: '/dev', files: ['zero', 'null'] } }, CallToolResultSchema, {
      timeout: 8000,
    });
    expect(texts(devices).at(-1)).toBe('Files read by the bridge:\n- zero: skipped, not a regular file\n- null: skipped, not a regular file');
  });
});

describe('the server process', () => {
  let llm: FakeLiteLlm;
  let brainDir: string;
  beforeAll(async () => {
    llm = await startTestFake({ answer: { kind: 'hang' } });
    brainDir = await mkdtemp(join(tmpdir(), 'supervisor-bridge-serve-'));
  });
  afterAll(async () => {
    await llm.close();
    await rm(brainDir, { recursive: true, force: true });
  });

  /** The real `supervisor serve` in a child process, on `port`. */
  function serve(port: number): RunningCli {
    return spawnCli(['serve'], { SUPERVISOR_PORT: String(port), INGEST_PORT: '0', SUPERVISOR_BRAIN_DIR: brainDir, LITELLM_BASE_URL: llm.url, LOG_LEVEL: 'warn' });
  }

  it('not up yet when the bridge starts: the bridge waits for it, then lists the tools', async () => {
    // Until the server starts, the port answers 503 as a proxy in front of it would: the bridge's
    // first attempts are seen, so the server is known to start after the bridge found it missing.
    let attempts = 0;
    const notYet = createServer((_request, response) => {
      attempts += 1;
      response.writeHead(503).end();
    });
    await new Promise<void>((listening) => notYet.listen(0, '127.0.0.1', listening));
    const port = (notYet.address() as AddressInfo).port;
    const connected = bridge({ SUPERVISOR_URL: `http://127.0.0.1:${port}/mcp`, BRIDGE_CONNECT_SECONDS: '60' });
    connected.catch(() => undefined); // awaited below; a bridge that gave up fails the test there
    await waitFor(() => attempts > 0, 'the bridge trying the server');
    await new Promise((closed) => {
      notYet.close(closed);
      notYet.closeAllConnections();
    });
    serve(port);
    const client = await connected;
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('review');
  }, 90_000);

  it('never up: after BRIDGE_CONNECT_SECONDS the bridge serves anyway, with one line naming the server, the setting and the wait', async () => {
    const port = await freePort();
    const started = performance.now();
    let stderr = '';
    const client = await bridge({ SUPERVISOR_URL: `http://127.0.0.1:${port}/mcp`, BRIDGE_CONNECT_SECONDS: '2' }, repo, (chunk) => (stderr += chunk));
    expect((performance.now() - started) / 1000).toBeGreaterThanOrEqual(2); // a lower bound: a loaded machine only makes it longer
    const line = `supervisor bridge: no MCP server answers at http://127.0.0.1:${port}/mcp (ECONNREFUSED): start it with \`supervisor serve\`, or set SUPERVISOR_URL to where it runs; tried for 2 s (BRIDGE_CONNECT_SECONDS); serving anyway, every request tries again\n`;
    // stderr is another pipe than the answers: the line is awaited, not assumed to have come first.
    await waitFor(() => stderr.includes(line), 'the line on stderr');
    const call = await client.callTool({ name: 'debug', arguments: { project_root: repo, error: 'x' } });
    expect(call.isError).toBe(true);
  });

  it('killed mid-call: the tool result is an error naming the server within seconds', async () => {
    const port = await freePort();
    const server = serve(port);
    const url = `http://127.0.0.1:${port}/mcp`;
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false), 'the server answering /health');
    const client = await bridge({ SUPERVISOR_URL: url, BRIDGE_CONNECT_SECONDS: '20' });
    const before = llm.requests.length;
    const call = client.callTool({ name: 'debug', arguments: { project_root: repo, error: 'x' } }, CallToolResultSchema, { timeout: 60_000 });
    await waitFor(() => llm.requests.length > before, 'the call reaching LiteLLM');
    const killed = performance.now();
    server.child.kill('SIGKILL');
    const result = await call;
    // The message below says the drop was noticed (not a timeout); the bound, far below the call's
    // 60 s timeout, only says it was not waited out.
    expect(performance.now() - killed).toBeLessThan(20_000);
    expect(result.isError).toBe(true);
    expect(texts(result)[0]).toMatch(new RegExp(`^the supervisor MCP server at ${url.replace(/\./g, '\\.')} closed the connection mid-call \\(.+\\)`));
  }, 90_000);
});
