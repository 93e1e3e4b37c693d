/** The real `supervisor bridge` of the build, started over stdio from a project folder, with an MCP client on it. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cliArgs } from './cli.js';

/** A bridge to the MCP server at `url`, run in `cwd` without a token or project-root allow-list. */
export async function connectBridge(url: string, cwd: string, name: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: cliArgs('bridge'),
    cwd,
    env: { ...(process.env as Record<string, string>), SUPERVISOR_URL: url, SUPERVISOR_TOKEN: '', BRIDGE_PROJECT_ROOTS: '' },
    stderr: 'pipe',
  });
  const client = new Client({ name, version: '1' });
  await client.connect(transport);
  return client;
}
