/**
 * A Claude Code started over stdio gets, through the built bridge, the same @-mentions and slash
 * commands as an HTTP client: notes and sessions as resources (listed page by page, read, completed),
 * the prompts, the server's errors with their code and message intact, and resources/list_changed when
 * the notes change — also after the remote restarted. A remote that offers only tools still works.
 */
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ResourceListChangedNotificationSchema, type Resource } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure } from './support/json-rpc.js';
import { connectBridge } from './support/bridge-client.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

let sup: TestSupervisor;
let direct: Client;
let project: string;
const clients: Client[] = [];

/** More than a page of resources/list (100), so the cursor must travel through the bridge. */
const BULK_NOTES = 110;
const FLAKY = '\uFEFF---\r\ntitle: Flaky tests\r\n---\r\nRetry nothing; find the race.\r\n';

const knowledge = () => join(sup.brainDir, 'knowledge');
async function writeNote(path: string, text: string): Promise<void> {
  await mkdir(join(knowledge(), path, '..'), { recursive: true });
  await writeFile(join(knowledge(), path), text);
}

beforeAll(async () => {
  sup = await startTestSupervisor();
  project = await realpath(await mkdtemp(join(tmpdir(), 'supervisor-bridge-resources-')));
  await writeNote('testing/flaky-tests.md', FLAKY);
  for (let i = 0; i < BULK_NOTES; i++) await writeNote(`bulk/note-${String(i).padStart(3, '0')}.md`, `---\ntitle: bulk ${i}\n---\nNumber ${i}.\n`);
  await waitFor(async () => (await sup.deps.brain.count()) === BULK_NOTES + 1, 'the notes indexed');
  direct = await sup.connect();
  await direct.callTool({ name: 'tdd_red', arguments: { project_root: '/work/shop', spec: 'cart totals in cents', session_id: 'bridged-session' } });
}, 60_000);
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await sup.stop();
  await rm(project, { recursive: true, force: true });
});

async function bridge(url = sup.mcpUrl): Promise<Client> {
  const client = await connectBridge(url, project, 'bridge-resources-test');
  clients.push(client);
  return client;
}

async function listAll(client: Client): Promise<{ resources: Resource[]; pages: number }> {
  const resources: Resource[] = [];
  let pages = 0;
  let cursor: string | undefined;
  do {
    const page = await client.listResources(cursor === undefined ? {} : { cursor });
    resources.push(...page.resources);
    pages++;
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages < 50);
  return { resources, pages };
}

const textOf = (contents: ReadonlyArray<{ text: string } | { blob: string }>) => (contents[0] && 'text' in contents[0] ? contents[0].text : '');

describe('resources through the bridge', () => {
  it('declares what the server declares, and lists every note and session page by page, as the server does', async () => {
    const client = await bridge();
    expect(client.getServerCapabilities()).toMatchObject({ resources: { listChanged: true }, prompts: {}, completions: {} });
    expect(client.getServerCapabilities()?.prompts).toEqual(direct.getServerCapabilities()?.prompts);
    const bridged = await listAll(client);
    expect(bridged.pages).toBeGreaterThanOrEqual(2);
    expect(bridged.resources).toEqual((await listAll(direct)).resources);
    expect(bridged.resources.filter((r) => r.uri.startsWith('brain://knowledge/'))).toHaveLength(BULK_NOTES + 1);
    expect(bridged.resources.map((r) => r.uri)).toContain('supervisor://sessions/bridged-session');
    expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(['brain://knowledge/{+path}', 'supervisor://sessions/{session_id}']);
  });

  it('reads a note as written and a session as markdown', async () => {
    const client = await bridge();
    const note = await client.readResource({ uri: 'brain://knowledge/testing/flaky-tests.md' });
    expect(note.contents).toEqual([{ uri: 'brain://knowledge/testing/flaky-tests.md', mimeType: 'text/markdown', text: await readFile(join(knowledge(), 'testing/flaky-tests.md'), 'utf8') }]);
    expect(textOf(note.contents)).toBe(FLAKY);
    const session = await client.readResource({ uri: 'supervisor://sessions/bridged-session' });
    expect(textOf(session.contents)).toMatch(/^# Session bridged-session\n/);
    expect(textOf(session.contents)).toContain('Arguments: spec: cart totals in cents');
  });

  it("passes the server's errors on with their code and message: -32602 with the URI for an unknown note, -32602 for a bad URI or cursor", async () => {
    const client = await bridge();
    for (const request of [
      { uri: 'brain://knowledge/testing/no-such-note.md' },
      { uri: 'brain://knowledge/testing/%2e%2e/%2e%2e/etc/passwd.md' },
      { uri: 'supervisor://sessions/never-used' },
    ]) {
      expect(await failure(client.readResource(request))).toEqual(await failure(direct.readResource(request)));
    }
    const unknown = await failure(client.readResource({ uri: 'brain://knowledge/testing/no-such-note.md' }));
    expect(unknown.code).toBe(-32602);
    expect(unknown.message).toContain('Resource not found: brain://knowledge/testing/no-such-note.md: no such note');
    const cursor = await failure(client.listResources({ cursor: 'not-a-cursor' }));
    expect(cursor.code).toBe(-32602);
    expect(cursor).toEqual(await failure(direct.listResources({ cursor: 'not-a-cursor' })));
    expect(cursor.message).toContain('Invalid cursor');
  });

  it("completes a note's path", async () => {
    const client = await bridge();
    const { completion } = await client.complete({ ref: { type: 'ref/resource', uri: 'brain://knowledge/{+path}' }, argument: { name: 'path', value: 'bulk/note-10' } });
    expect(completion.values).toEqual(Array.from({ length: 10 }, (_, i) => `bulk/note-10${i}.md`));
    expect(completion.hasMore).toBe(false);
  });
});

describe('prompts through the bridge', () => {
  it('lists and expands them, and refuses a bad argument as the server does', async () => {
    const client = await bridge();
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual((await direct.listPrompts()).prompts.map((p) => p.name));
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['tdd_cycle', 'review_changes', 'end_session']));
    const { messages } = await client.getPrompt({ name: 'tdd_cycle', arguments: { spec: 'Coupons round down', project_root: project } });
    expect(messages).toHaveLength(1);
    const text = messages[0]?.content.type === 'text' ? messages[0].content.text : '';
    expect(text).toContain('Coupons round down');
    expect(text).toContain('tdd_red');
    const bad = { name: 'end_session', arguments: { session_id: '../x' } };
    const refused = await failure(client.getPrompt(bad));
    expect(refused).toEqual(await failure(direct.getPrompt(bad)));
    expect(refused.code).toBe(-32602);
    expect(refused.message).toBe('MCP error -32602: Invalid arguments for prompt end_session: session_id: 1–128 letters, digits, - or _');
    const sessions = await client.complete({ ref: { type: 'ref/prompt', name: 'end_session' }, argument: { name: 'session_id', value: 'bridged-' } });
    expect(sessions.completion.values).toEqual(['bridged-session']);
  });
});

/** Counts the list_changed notifications a client hears. */
function listening(client: Client): () => number {
  let heard = 0;
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void heard++);
  return () => heard;
}

/** The bridge's connection to the server opens its GET stream (where notifications go) after initialize. */
const streamOpen = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('resources/list_changed through the bridge', () => {
  it('is relayed after a brain_write made through the bridge', async () => {
    const client = await bridge();
    const heard = listening(client);
    await streamOpen();
    const written = await client.callTool({ name: 'brain_write', arguments: { title: 'Bridged change', type: 'pattern', domain: 'testing', tags: ['x'], content: 'A new note.' } });
    expect(written.isError).toBeFalsy();
    await waitFor(() => heard() >= 1, 'list_changed relayed by the bridge');
    const listed = await listAll(client);
    expect(listed.resources.some((r) => r.title === 'Bridged change')).toBe(true);
  });

  it('says the server is down as for tool calls, and relays again once reconnected to the restarted server', async () => {
    const other = await startTestSupervisor();
    const port = Number(new URL(other.mcpUrl).port);
    const client = await bridge(other.mcpUrl);
    const heard = listening(client);
    expect((await client.listResources()).resources).toEqual([]);
    await other.close();

    const down = await failure(client.readResource({ uri: 'brain://knowledge/testing/a.md' }));
    expect(down.code).toBe(-32603);
    expect(down.message).toMatch(/no MCP server answers at http:\/\/127\.0\.0\.1:\d+\/mcp \(ECONNREFUSED\): start it with `supervisor serve`, or set SUPERVISOR_URL to where it runs\. The bridge tries again on every call\./);
    expect(down.message).not.toContain('MCP error -32603: MCP error');

    const back = await startTestSupervisor({ SUPERVISOR_PORT: String(port), SUPERVISOR_BRAIN_DIR: other.brainDir });
    try {
      const before = heard();
      expect((await client.listResources()).resources).toEqual([]);
      // What changed while the bridge was away was told to no one: the reconnection is announced.
      await waitFor(() => heard() > before, 'list_changed on reconnecting');
      await streamOpen();
      const reconnected = heard();
      // A write the bridge takes no part in: only the relay on the new connection can tell the client.
      const writer = await back.connect();
      await writer.callTool({ name: 'brain_write', arguments: { title: 'After restart', type: 'pattern', domain: 'testing', tags: ['x'], content: 'Written elsewhere.' } });
      await waitFor(() => heard() > reconnected, 'list_changed relayed on the new connection');
    } finally {
      await back.stop();
      await other.llm.close();
    }
  });
});

describe('a server without resources or prompts', () => {
  let old: HttpServer;
  let url: string;
  beforeAll(async () => {
    // Stateless, one McpServer per request: an older supervisor, which offers tools only.
    old = createServer((request, response) => {
      const server = new McpServer({ name: 'older', version: '0' });
      server.registerTool('ping_tool', { description: 'Answers pong.' }, () => ({ content: [{ type: 'text', text: 'pong' }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      response.on('close', () => void server.close());
      void server.connect(transport).then(() => transport.handleRequest(request, response));
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(old.address() as { port: number }).port}/mcp`;
  });
  afterAll(() => new Promise<void>((resolve) => old.close(() => resolve())));

  it("is bridged with tools only, as it declares them: nothing else is declared, a resources request is method-not-found", async () => {
    const client = await bridge(url);
    const declared = client.getServerCapabilities();
    expect(declared).toMatchObject({ tools: { listChanged: true }, logging: {} });
    expect(declared?.resources).toBeUndefined();
    expect(declared?.prompts).toBeUndefined();
    expect(declared?.completions).toBeUndefined();
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['ping_tool']);
    expect(await client.callTool({ name: 'ping_tool', arguments: {} })).toMatchObject({ content: [{ type: 'text', text: 'pong' }] });
    expect((await failure(client.listResources())).code).toBe(-32601);
  });
});
