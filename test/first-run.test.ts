/**
 * The README's first run without a GPU, in real processes: `supervisor fake-llm`, then `supervisor
 * serve` pointed at it, then the MCP client — what a new user reads on the way (the start-up line,
 * `status`, a tool call's log line, the 404 of a wrong URL).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { spawnCli, startCli, type RunningCli } from './support/cli.js';
import { MODELS } from './support/fixture-config.js';
import { freePort } from './support/ports.js';
import { waitFor } from './support/wait.js';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const WARN = 40;
const INFO = 30;
const DEBUG = 20;

const logLines = (stdout: string): LogLine[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

const startupLine = (server: RunningCli) => logLines(server.stdout()).find((line) => line.msg.startsWith('supervisor ') && line.msg.includes(' ready: '));

const mcpUrlOf = (server: RunningCli) => /"url":"(http:\/\/127\.0\.0\.1:\d+\/mcp)"/.exec(server.stdout())?.[1] ?? '';

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'first-run-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const textOf = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as Array<{ text: string }>).map((c) => c.text).join('\n');

// Processes live for one test (test/support/setup.ts kills what is left after each): the walk is one test.
describe('a first run with the fake model server', () => {
  it('the start-up line, status, a tool call and a wrong URL say what a new user needs', async () => {
    const fake = spawnCli(['fake-llm'], { FAKE_LLM_PORT: '0' });
    await waitFor(() => /at http:\/\/127\.0\.0\.1:\d+/.test(fake.stderr()), 'the fake model server starting');
    const fakeUrl = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(fake.stderr())?.[1] ?? '';
    // The fake lists the models of the models.yaml `supervisor serve` reads (here the fixtures': 4).
    expect(fake.stderr()).toMatch(/lists the 4 models of .*models\.yaml; every model answers by describing its prompt/);
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-first-run-'));
    try {
      const server = await startCli(
        ['serve'],
        { SUPERVISOR_PORT: '0', INGEST_PORT: '0', SUPERVISOR_BRAIN_DIR: brainDir, LITELLM_BASE_URL: fakeUrl, LOG_LEVEL: 'debug' },
        /MCP server listening/,
      );
      const mcpUrl = mcpUrlOf(server);

      // The start-up line: version, URLs, brain size, LiteLLM reachable, no model missing.
      await waitFor(() => startupLine(server) !== undefined, 'the start-up line');
      const line = startupLine(server)!;
      expect(line.level).toBe(INFO);
      expect(line.msg).toMatch(
        /^supervisor \d+\.\d+\.\d+ ready: MCP http:\/\/127\.0\.0\.1:\d+\/mcp; brain http:\/\/127\.0\.0\.1:\d+ \(.*\), 0 notes; LiteLLM http:\/\/127\.0\.0\.1:\d+ reachable, serves 4 model\(s\)\. Every model in models\.yaml is served\.$/,
      );
      expect(line).toMatchObject({ brain_notes: 0, litellm_reachable: true, models_missing: [] });

      // status: every configured model served, none "not served".
      const client = await connect(mcpUrl);
      const status = await client.callTool({ name: 'status', arguments: {} });
      expect(status.structuredContent).toMatchObject({ litellm: { reachable: true, models_missing: [] } });
      expect(textOf(status)).toContain('Every model in models.yaml is served.');
      expect(textOf(status)).not.toContain('not served');

      // A consulting call: one log line (tool, session, model, outcome, ms, attempts); at debug, the prompt's size.
      await client.callTool({ name: 'debug', arguments: { project_root: '/p', error: 'TypeError: total is undefined', session_id: 'first-run' } });
      await client.close();
      const callLines = () => logLines(server.stdout()).filter((entry) => entry.tool === 'debug' && entry.outcome !== undefined);
      await waitFor(() => callLines().length > 0, 'the call log line');
      expect(callLines()).toHaveLength(1);
      expect(callLines()[0]).toMatchObject({ level: INFO, tool: 'debug', session: 'first-run', model: MODELS.primary, outcome: 'ok', attempts: [{ model: MODELS.primary, outcome: 'ok' }] });
      expect(callLines()[0]?.ms).toEqual(expect.any(Number));
      expect(callLines()[0]?.msg).toMatch(new RegExp(`^debug answered by ${MODELS.primary} in \\d+ ms, 1 attempt \\(${MODELS.primary} ok\\)$`));
      const prompt = logLines(server.stdout()).find((entry) => entry.level === DEBUG && entry.tool === 'debug' && entry.estimated_tokens !== undefined);
      expect(prompt).toMatchObject({ session: 'first-run', context_window: 32768 });
      expect(prompt?.msg).toMatch(/^prompt for debug: \d+ characters, ~\d+ tokens of a 32768-token window$/);

      // A client pointed at the root instead of /mcp is told where the endpoint is.
      const response = await fetch(mcpUrl.replace(/\/mcp$/, '/'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(404);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toBe(`no MCP endpoint at POST /; it is POST /mcp (Streamable HTTP): ${mcpUrl}`);
      await server.stop();
    } finally {
      await fake.stop();
      await rm(brainDir, { recursive: true, force: true });
    }
  });
});

describe('a first run without any model server', () => {
  it('the start-up line, at warn, says LiteLLM is not reachable and what to do', async () => {
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-first-run-'));
    try {
      const server = await startCli(
        ['serve'],
        { SUPERVISOR_PORT: '0', INGEST_PORT: '0', SUPERVISOR_BRAIN_DIR: brainDir, LITELLM_BASE_URL: `http://127.0.0.1:${await freePort()}` },
        /MCP server listening/,
      );
      await waitFor(() => startupLine(server) !== undefined, 'the start-up line');
      const line = startupLine(server)!;
      expect(line.level).toBe(WARN);
      expect(line.msg).toMatch(/LiteLLM http:\/\/127\.0\.0\.1:\d+ NOT reachable \([^)]*[^.]\)\. Start LiteLLM \(docs\/litellm\.md\) and point LITELLM_BASE_URL at it, or run `npm run fake-llm`/);
      expect(line).toMatchObject({ litellm_reachable: false });
      await server.stop();
    } finally {
      await rm(brainDir, { recursive: true, force: true });
    }
  });
});
