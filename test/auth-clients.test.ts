/**
 * Issue 8 item 5: a missing or wrong SUPERVISOR_TOKEN must reach the user as our message, through
 * the real clients people use (pinned devDependencies, run from node_modules/.bin, no network),
 * instead of an OAuth sign-in that can never succeed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

const TOKEN = 'client-token-0123456789abcdef';
const BIN = resolve('node_modules/.bin');
const OUR_MESSAGE = 'wrong or missing bearer token';

let sup: TestSupervisor;
let home: string;
beforeAll(async () => {
  sup = await startTestSupervisor({ SUPERVISOR_TOKEN: TOKEN });
  // mcp-remote keeps OAuth state under ~/.mcp-auth: a fresh home keeps the test from the user's.
  home = await mkdtemp(join(tmpdir(), 'supervisor-clients-'));
});
afterAll(async () => {
  await sup.stop();
  await rm(home, { recursive: true, force: true });
});

interface ClientRun {
  code: number | null;
  output: string;
  /** It did not end by itself: a client waiting for a sign-in is killed after KILL_AFTER_MS. */
  killed: boolean;
}

/** Far more than a client needs to fail on a loaded machine; only one waiting for a sign-in reaches it. */
const KILL_AFTER_MS = 40_000;

/** Runs a client with stdin fed `input`, killed after KILL_AFTER_MS at most. */
function runClient(command: string, args: string[], options: { cwd?: string; input?: string } = {}): Promise<ClientRun> {
  let killed = false;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, '.mcp-auth'), BROWSER: 'none' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  child.stdin.on('error', () => undefined);
  if (options.input) child.stdin.write(options.input);
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, KILL_AFTER_MS);
  return new Promise((done) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, output, killed });
    }),
  );
}

/** Paths the server was asked for, from its request log. */
function requestedPaths(): string[] {
  return sup
    .logs()
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { req?: { url?: string } }).req?.url ?? '')
    .filter(Boolean);
}

const initialize = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
})}\n`;

describe('a missing or wrong token, as the real clients show it', () => {
  it('Inspector CLI: fails at once with our message, and tries no OAuth discovery', async () => {
    // The CLI reads its own package.json relative to the working directory (a quirk of 1.0.3).
    const cwd = resolve('node_modules/@modelcontextprotocol/inspector-cli/build');
    const before = requestedPaths().length;
    for (const header of [[], ['--header', 'Authorization: Bearer wrong-token-000000']]) {
      const run = await runClient(join(BIN, 'mcp-inspector-cli'), ['--cli', sup.mcpUrl, '--transport', 'http', ...header, '--method', 'tools/list'], { cwd });
      expect(run.output).toContain(OUR_MESSAGE);
      expect(run.code).not.toBe(0);
      expect(run.killed, 'it gave up by itself').toBe(false);
    }
    const asked = requestedPaths().slice(before);
    expect(asked.filter((path) => /well-known|register|authorize|token/.test(path))).toEqual([]);
    // And the right token works through the same client.
    const ok = await runClient(join(BIN, 'mcp-inspector-cli'), ['--cli', sup.mcpUrl, '--transport', 'http', '--header', `Authorization: Bearer ${TOKEN}`, '--method', 'tools/list'], { cwd });
    expect(ok.code).toBe(0);
    expect(ok.output).toContain('brain_query');
  }, 3 * KILL_AFTER_MS);

  it('mcp-remote: gives up at once with our message, starts no sign-in, registers no OAuth client', async () => {
    const before = requestedPaths().length;
    const run = await runClient(join(BIN, 'mcp-remote'), [sup.mcpUrl, '--transport', 'http-only', '--header', 'Authorization: Bearer wrong-token-000000'], { input: initialize });
    expect(run.output).toContain(OUR_MESSAGE);
    expect(run.output).not.toMatch(/Authentication required|OAuth callback server running|Waiting for authorization/);
    expect(run.code).not.toBe(0);
    expect(run.killed, 'it gave up by itself').toBe(false);
    // mcp-remote always probes the metadata documents at start (GETs that our guard refuses); what
    // matters is that no OAuth client registration or authorization follows.
    const asked = requestedPaths().slice(before);
    expect(asked.filter((path) => /register|authorize|token/.test(path))).toEqual([]);
  });
});
