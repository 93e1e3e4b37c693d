/**
 * A bridge that cannot reach its server stays up and says why: Claude Code's handshake is answered,
 * tools/list gives a stand-in `status` whose description is the reason, every call is a tool error
 * with the reason and what to do, and the server started later is used without restarting the bridge.
 * The built bridge, over stdio, with the real SDK clients of both protocol eras.
 */
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cliArgs } from './support/cli.js';
import { freePort } from './support/ports.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

/** Tries once at start (BRIDGE_CONNECT_SECONDS=0): what follows does not wait out a retry window. */
const bridgeEnv = (url: string, token: string) => ({
  ...(process.env as Record<string, string>),
  SUPERVISOR_URL: url,
  SUPERVISOR_TOKEN: token,
  BRIDGE_CONNECT_SECONDS: '0',
  BRIDGE_PROJECT_ROOTS: '',
});

/** The bridge with a 2025-era client (initialize), its stderr collected and the tools/list_changed it sends counted. */
async function bridge(url: string, token = '', env: Record<string, string> = {}): Promise<{ client: Client; stderr: () => string; listChanged: () => number }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: cliArgs('bridge'), env: { ...bridgeEnv(url, token), ...env }, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  const client = new Client({ name: 'bridge-unreached', version: '1' });
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
  await client.connect(transport);
  closers.push(() => client.close());
  return { client, stderr: () => stderr, listChanged: () => changed };
}

const textOf = (result: unknown) => ((result as { content: Array<{ text: string }> }).content ?? []).map((c) => c.text).join('\n');

describe('the bridge with no server at SUPERVISOR_URL', () => {
  it('answers initialize, lists a status tool that says why, and answers every call with the reason and what to do', async () => {
    const url = `http://127.0.0.1:${await freePort()}/mcp`;
    const { client, stderr } = await bridge(url);
    expect(client.getServerVersion()?.name).toBe('supervisor');

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['status']);
    expect(tools[0]?.description).toContain(`no MCP server answers at ${url} (ECONNREFUSED): start it with \`supervisor serve\`, or set SUPERVISOR_URL to where it runs`);

    const review = await client.callTool({ name: 'review', arguments: { project_root: '.', files: ['a.ts'] } });
    expect(review.isError).toBe(true);
    expect(textOf(review)).toBe(`no MCP server answers at ${url} (ECONNREFUSED): start it with \`supervisor serve\`, or set SUPERVISOR_URL to where it runs. The bridge tries again on every call.`);
    const status = await client.callTool({ name: 'status', arguments: {} });
    expect(status.isError).toBe(true);
    expect(textOf(status)).toContain(`no MCP server answers at ${url}`);
    // stderr is another pipe than the answers: the line is awaited, not assumed to have come first.
    await waitFor(() => stderr().includes(`supervisor bridge: no MCP server answers at ${url} (ECONNREFUSED)`), 'the reason on stderr');
  });

  it('uses the server started afterwards on the next call, and tells the client to list the tools again', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const { client, listChanged } = await bridge(url);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['status']);
    expect((await client.callTool({ name: 'status', arguments: {} })).isError).toBe(true);

    const sup: TestSupervisor = await startTestSupervisor({ SUPERVISOR_PORT: String(port) });
    closers.push(() => sup.stop());
    const status = await client.callTool({ name: 'status', arguments: {} });
    expect(status.isError).toBeFalsy();
    expect(textOf(status)).toMatch(/LiteLLM/);
    await waitFor(() => listChanged() > 0, 'notifications/tools/list_changed from the bridge');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('review');
    expect(tools).toHaveLength(11);
    const query = await client.callTool({ name: 'brain_query', arguments: { query: 'anything' } });
    expect(query.isError).toBeFalsy();
  });

  it('answers a 2026-07-28 client too: its first request, and a call with the reason', async () => {
    const url = `http://127.0.0.1:${await freePort()}/mcp`;
    const transport = new ModernStdio({ command: process.execPath, args: cliArgs('bridge'), env: bridgeEnv(url, ''), stderr: 'pipe' });
    const client = new ModernClient({ name: 'bridge-unreached', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(transport);
    closers.push(() => client.close());
    expect(client.getProtocolEra()).toBe('modern');
    const result = await client.callTool({ name: 'debug', arguments: { project_root: '.', error: 'x' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`no MCP server answers at ${url} (ECONNREFUSED)`);
  });
});

describe('the bridge with a token the server refuses', () => {
  it('stays up and answers each call naming the setting to fix, never the token', async () => {
    const sup = await startTestSupervisor({ SUPERVISOR_TOKEN: 'right-token-0123456789' });
    closers.push(() => sup.stop());
    const { client, stderr } = await bridge(sup.mcpUrl, 'wrong-token-0123456789');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['status']);
    expect(tools[0]?.description).toContain(`the MCP server at ${sup.mcpUrl} refused the token (HTTP 403)`);

    const debug = await client.callTool({ name: 'debug', arguments: { project_root: '.', error: 'TypeError' } });
    expect(debug.isError).toBe(true);
    expect(textOf(debug)).toBe(
      `the MCP server at ${sup.mcpUrl} refused the token (HTTP 403): set SUPERVISOR_TOKEN in the bridge's env to the server's token. The bridge tries again on every call.`,
    );
    expect(sup.llm.requests).toHaveLength(0);
    await waitFor(() => stderr().includes('supervisor bridge: tools/list: the MCP server'), 'the reason on stderr');
    expect(`${stderr()}${JSON.stringify(tools)}${textOf(debug)}`).not.toMatch(/right-token|wrong-token/);
  });
});

describe('the bridge with a misspelt setting', () => {
  it('names it at start with the closest real one, never its value, and serves', async () => {
    const url = `http://127.0.0.1:${await freePort()}/mcp`;
    const { client, stderr } = await bridge(url, '', { SUPERVISOR_TOKNE: 'typo-token-0123456789' });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['status']);
    const line = 'supervisor bridge: SUPERVISOR_TOKNE is not a setting supervisor reads (ignored): did you mean SUPERVISOR_TOKEN?\n';
    await waitFor(() => stderr().includes(line), 'the misspelt setting named on stderr');
    expect(stderr()).not.toContain('typo-token');
  });
});
