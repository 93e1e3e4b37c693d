/**
 * The bridge attaches the files a tool's arguments name as the remote's tools/list declares them
 * (`_meta["supervisor/file_arguments"]`), not from a list of its own: here, in front of an MCP server
 * of the test's own whose tools the bridge has never heard of.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { cliArgs } from './support/cli.js';

let http: Server;
let url: string;
let project: string;
let client: Client;

/** An MCP server whose tools answer with the attachments they received. */
function otherServer(): McpServer {
  const server = new McpServer({ name: 'other', version: '1' });
  const code = { project_root: z.string(), attachments: z.array(z.object({ path: z.string(), content: z.string() })).optional() };
  const echo = async ({ attachments }: { attachments?: Array<{ path: string }> | undefined }) => ({
    content: [{ type: 'text' as const, text: JSON.stringify(attachments ?? []) }],
  });
  server.registerTool('lint', { description: 'Lint a file.', inputSchema: { ...code, source_path: z.string() }, _meta: { 'supervisor/file_arguments': ['source_path'] } }, echo);
  // Declares no file arguments: an argument named `files` is not taken for paths.
  server.registerTool('count', { description: 'Count things.', inputSchema: { ...code, files: z.array(z.string()) } }, echo);
  return server;
}

beforeAll(async () => {
  // Stateless: a server and transport per request, as the SDK's examples do.
  http = createServer((req, res) => {
    void (async () => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const server = otherServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close().then(() => server.close()));
      await server.connect(transport);
      await transport.handleRequest(req, res, body ? JSON.parse(body) : undefined);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  project = await mkdtemp(join(tmpdir(), 'supervisor-bridge-meta-'));
  await writeFile(join(project, 'style.css'), 'a { color: red }\n');

  client = new Client({ name: 'bridge-meta-test', version: '1' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: cliArgs('bridge'),
      env: { ...(process.env as Record<string, string>), SUPERVISOR_URL: url, BRIDGE_PROJECT_ROOTS: project },
      stderr: 'pipe',
    }),
  );
});

afterAll(async () => {
  await client?.close();
  await new Promise((resolve) => http?.close(resolve));
  await rm(project, { recursive: true, force: true });
});

const attachedBy = (result: unknown) => JSON.parse((result as { content: Array<{ text: string }> }).content[0]?.text ?? '[]') as Array<{ path: string; content: string }>;

it('attaches the file a tool declares as a file argument, without listing the tools first', async () => {
  const result = await client.callTool({ name: 'lint', arguments: { project_root: project, source_path: 'style.css' } });
  expect(attachedBy(result)).toEqual([{ path: 'style.css', content: 'a { color: red }\n' }]);
});

it('attaches nothing by name for a tool that declares no file arguments', async () => {
  await client.listTools();
  const result = await client.callTool({ name: 'count', arguments: { project_root: project, files: ['style.css'] } });
  expect(attachedBy(result)).toEqual([]);
});
