/**
 * Each tool's hints as a client reads them (MCP ToolAnnotations; a hint left out means the spec's
 * default), over the real Streamable HTTP transport and through the built bridge: a client that
 * skips confirmation for read-only tools must not skip it for one that writes notes or files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBridge } from './support/bridge-client.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let project: string;
const clients: Client[] = [];
beforeAll(async () => {
  sup = await startTestSupervisor();
  project = await mkdtemp(join(tmpdir(), 'supervisor-tool-hints-'));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await sup.stop();
  await rm(project, { recursive: true, force: true });
});

/** The spec's defaults, for a hint the listing leaves out. */
const DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

/**
 * read-only, or what a write does: `destructive` (may replace or delete) or `additive`, and whether
 * repeating it adds nothing (`idempotent`); then whether it reaches beyond the server (`open world`).
 * destructiveHint and idempotentHint mean nothing for a read-only tool, so they are not read there.
 */
function hints(tool: Tool): string {
  const h = { ...DEFAULTS, ...tool.annotations };
  const effect = h.readOnlyHint ? 'read-only' : `${h.destructiveHint ? 'destructive' : 'additive'}${h.idempotentHint ? ', idempotent' : ''}`;
  return `${effect}; ${h.openWorldHint ? 'open world' : 'closed'}`;
}

const table = (tools: Tool[]) => Object.fromEntries(tools.map((t) => [t.name, hints(t)]));

/** As src/tools/define.ts and docs/mcp.md ("Tool hints") say, tool by tool. */
const OVER_HTTP = {
  // Consulting: ask models through LiteLLM; the session-log line is bookkeeping.
  tdd_red: 'read-only; open world',
  tdd_green: 'read-only; open world',
  tdd_refactor: 'read-only; open world',
  review: 'read-only; open world',
  debug: 'read-only; open world',
  // The server writes no file for output_path: it says "Not saved".
  spec: 'read-only; open world',
  // save: true creates notes or appends to one, never replaces; a new answer each time.
  retrospective: 'additive; open world',
  trainer: 'additive; open world',
  brain_query: 'read-only; closed',
  // mode overwrite replaces a note; mode append twice appends twice.
  brain_write: 'destructive; closed',
  // asks LiteLLM which models it serves
  status: 'read-only; open world',
};

describe('tool hints', () => {
  it('over HTTP: the consulting tools read only, retrospective and trainer add notes, brain_write may replace one', async () => {
    const client = await sup.connect();
    const { tools } = await client.listTools();
    expect(table(tools)).toEqual(OVER_HTTP);
  });

  it('through the bridge: spec writes its output_path in the project and replaces it with overwrite, the others as over HTTP', async () => {
    const client = await connectBridge(sup.mcpUrl, project, 'tool-hints');
    clients.push(client);
    const { tools } = await client.listTools();
    expect(table(tools)).toEqual({ ...OVER_HTTP, spec: 'destructive; open world' });
  });
});
