/**
 * The bridge between protocol eras: it speaks to Claude Code in the era Claude Code opens with (a
 * 2025 `initialize`, or 2026-07-28 with no handshake), and to the remote in the era the remote offers
 * (supervisor: 2026-07-28; a server that only knows the 2025 handshake: that, after the probe).
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cliArgs } from './support/cli.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let project: string;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  sup = await startTestSupervisor();
  project = await mkdtemp(join(tmpdir(), 'supervisor-bridge-eras-'));
});
afterAll(async () => {
  for (const close of closers.splice(0)) await close().catch(() => undefined);
  await sup.stop();
  await rm(project, { recursive: true, force: true });
});

const bridgeEnv = (url: string) => ({ ...(process.env as Record<string, string>), SUPERVISOR_URL: url, SUPERVISOR_TOKEN: '', BRIDGE_PROJECT_ROOTS: project });

/** The bridge with a 2025-era client on its stdio (the v1 client: initialize); its stderr collected. */
async function legacyBridge(url: string): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: cliArgs('bridge'), cwd: project, env: bridgeEnv(url), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  const client = new Client({ name: 'bridge-eras', version: '1' });
  await client.connect(transport);
  closers.push(() => client.close());
  return { client, stderr: () => stderr };
}

describe('the bridge', () => {
  it('speaks 2026-07-28 to a Claude Code that opens in it, and to supervisor', async () => {
    const transport = new ModernStdio({ command: process.execPath, args: cliArgs('bridge'), cwd: project, env: bridgeEnv(sup.mcpUrl), stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    const client = new ModernClient({ name: 'bridge-eras', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(transport);
    closers.push(() => client.close());
    expect(client.getProtocolEra()).toBe('modern');
    const result = await client.callTool({ name: 'spec', arguments: { project_root: project, requirements: 'a cart' } });
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { session_id: string }).session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(stderr).toContain('(MCP 2026-07-28)');
  });

  it('speaks 2025 to a Claude Code that opens with initialize', async () => {
    const { client, stderr } = await legacyBridge(sup.mcpUrl);
    expect(client.getServerVersion()?.name).toBe('supervisor');
    expect((await client.callTool({ name: 'brain_query', arguments: { query: 'anything' } })).isError).toBeFalsy();
    expect(stderr()).toContain('(MCP 2026-07-28)');
  });

  it('falls back to the 2025 handshake with a remote that knows nothing else', async () => {
    const old = await startOldServer();
    const { client, stderr } = await legacyBridge(old.url);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['echo']);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'across eras' } });
    expect((result.content as Array<{ text: string }>)[0]?.text).toBe('echo: across eras');
    expect(stderr()).toContain('(MCP 2025)');
  });
});

/** A 2025-only MCP server (SDK 1.x, sessions, no server/discover) with one tool, on a loopback port. */
async function startOldServer(): Promise<{ url: string }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => {
      const parsed: unknown = body ? JSON.parse(body) : undefined;
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? transports.get(id) : undefined;
      if (!transport) {
        if ((parsed as { method?: string } | undefined)?.method !== 'initialize') {
          // What a 2025-era server answers the 2026-07-28 probe (server/discover) with.
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: No valid session ID provided' }, id: null }));
          return;
        }
        const created = new StreamableHTTPServerTransport({ sessionIdGenerator: () => crypto.randomUUID(), onsessioninitialized: (sid) => void transports.set(sid, created) });
        const server = new McpServer({ name: 'old-server', version: '1.0.0' });
        server.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }));
        void server.connect(created);
        transport = created;
      }
      void transport.handleRequest(req, res, parsed);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    await Promise.all([...transports.values()].map((t) => t.close()));
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp` };
}
