/**
 * The 2026-07-28 protocol on /mcp, through the SDK v2 client pinned to it: no initialize and no
 * session, every request carrying its own version and capabilities. Everything a 2025-era client
 * gets works here too, each in this era's way: tools, resources (-32602 for one that is not there),
 * prompts, completion, progress, notices only for a request that asks for a log level, change
 * notifications on subscriptions/listen, and consultation history carried by the session handle the
 * first answer gives — across calls and across a server restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, LOG_LEVEL_META_KEY, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consultationOf, type ConsultationResult } from '../common/consultation-contract.js';
import { MODELS } from './support/fixture-config.js';
import { failure } from './support/json-rpc.js';
import { waitFor } from './support/wait.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

const ROOT = '/work/shop';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let brainDir: string;
let sup: TestSupervisor;
let client: Client;
const clients: Client[] = [];

async function modernClient(url: string): Promise<Client> {
  const modern = new Client({ name: 'modern-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await modern.connect(new StreamableHTTPClientTransport(new URL(url)));
  clients.push(modern);
  return modern;
}

beforeAll(async () => {
  // The brain (and the session logs in it) outlives one server, for the restart test.
  brainDir = await mkdtemp(join(tmpdir(), 'supervisor-modern-'));
  sup = await startTestSupervisor({ SUPERVISOR_BRAIN_DIR: brainDir });
  client = await modernClient(sup.mcpUrl);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await sup.stop();
  await rm(brainDir, { recursive: true, force: true });
});

type Text = { type: string; text: string };
const textOf = (result: unknown) => ((result as { content: Text[] }).content[0] as Text).text;
/** A consulting result's structuredContent, as the contract says it is (throws when it is not). */
function structured(result: { structuredContent?: unknown }): ConsultationResult {
  const consultation = consultationOf(result.structuredContent);
  if (!consultation) throw new Error(`not a consultation: ${JSON.stringify(result.structuredContent)}`);
  return consultation;
}

describe('a 2026-07-28 client', () => {
  it('speaks the modern era, and the server holds no session for it', async () => {
    expect(client.getProtocolEra()).toBe('modern');
    await client.listTools();
    expect(sup.sessionCount()).toBe(0);
  });

  it('lists the same tools, prompts and resource templates as a 2025-era client', async () => {
    const legacy = await sup.connect();
    expect((await client.listTools()).tools).toEqual((await legacy.listTools()).tools);
    expect((await client.listPrompts()).prompts).toEqual((await legacy.listPrompts()).prompts);
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual((await legacy.listResourceTemplates()).resourceTemplates);
  });

  it('a first consulting call starts a session and says its id; passed on, the next call sees the first', async () => {
    const first = await client.callTool({ name: 'spec', arguments: { project_root: ROOT, requirements: 'a cart that totals line items' } });
    expect(first.isError).toBeFalsy();
    const id = structured(first).session_id;
    expect(id).toMatch(UUID);
    expect(structured(first).session_started).toBe(true);
    expect(textOf(first)).toContain(`started session ${id}: pass "session_id": "${id}"`);

    sup.llm.requests.length = 0;
    const second = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'total is NaN', session_id: id } });
    expect(structured(second).session_id).toBe(id);
    expect(structured(second).session_started).toBeUndefined();
    expect(textOf(second)).not.toContain('started session');
    expect(JSON.stringify(sup.llm.requests[0]?.messages)).toMatch(/## Session history\\n\\n- [^\\]*spec \(spec\) ok/);
  });

  it('two calls without a session_id are two sessions: nothing is shared by accident', async () => {
    const a = await client.callTool({ name: 'spec', arguments: { project_root: ROOT, requirements: 'first' } });
    const b = await client.callTool({ name: 'spec', arguments: { project_root: ROOT, requirements: 'second' } });
    expect(structured(a).session_id).not.toBe(structured(b).session_id);
  });

  it('retrospective without a session_id is refused, saying where the id comes from', async () => {
    const result = await client.callTool({ name: 'retrospective', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('session_id is needed: pass the session_id the consulting answers of the session gave');
  });

  it('answers -32602 with the URI for a resource that is not there', async () => {
    const error = await failure(client.readResource({ uri: 'brain://knowledge/testing/no-such-note.md' }));
    expect(error.code).toBe(-32602);
    expect(error.message).toContain('Resource not found: brain://knowledge/testing/no-such-note.md');
  });

  it('reads a session log, gets a prompt and completes a session id', async () => {
    const started = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['cart.ts'] } });
    const id = structured(started).session_id;
    const log = await client.readResource({ uri: `supervisor://sessions/${id}` });
    expect((log.contents[0] as { text: string }).text).toContain(`# Session ${id}`);
    const prompt = await client.getPrompt({ name: 'end_session', arguments: { session_id: id } });
    expect((prompt.messages[0]?.content as { text: string }).text).toContain(`{"session_id": "${id}", "save": true}`);
    const completed = await client.complete({ ref: { type: 'ref/prompt', name: 'end_session' }, argument: { name: 'session_id', value: id.slice(0, 8) } });
    expect(completed.completion.values).toContain(id);
  });

  it('gets progress while the model answers', async () => {
    const progress: string[] = [];
    const result = await client.callTool(
      { name: 'debug', arguments: { project_root: ROOT, error: 'boom' } },
      { onprogress: (p) => void progress.push(String(p.message)) },
    );
    expect(result.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThan(0);
  });

  it('hears of a fallback only on a request that asked for a log level', async () => {
    const notices: string[] = [];
    client.setNotificationHandler('notifications/message', (n) => void notices.push(`${n.params.level}: ${String(n.params.data)}`));
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503, message: 'overloaded' });

    const quiet = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'boom' } });
    expect(textOf(quiet)).toContain(`after ${MODELS.primary} failed (503)`);
    expect(notices).toEqual([]);

    await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'boom' }, _meta: { [LOG_LEVEL_META_KEY]: 'warning' } });
    expect(notices).toEqual([`warning: ${MODELS.primary} failed (503 overloaded); asking ${MODELS.fallback}`]);
  });

  it('hears on subscriptions/listen that the resources changed when a note is written', async () => {
    const listener = await modernClient(sup.mcpUrl);
    const heard = new Promise<void>((resolve) => listener.setNotificationHandler('notifications/resources/list_changed', () => resolve()));
    const subscription = await listener.listen({ resourcesListChanged: true });
    expect(subscription.honoredFilter).toEqual({ resourcesListChanged: true });
    await client.callTool({ name: 'brain_write', arguments: { title: 'Listen test', content: 'A note written while a client listens.', tags: ['test'] } });
    await heard;
    await subscription.close();
  });

  it('carries history by the session handle across a server restart', async () => {
    const first = await client.callTool({ name: 'spec', arguments: { project_root: ROOT, requirements: 'remembered across restarts' } });
    const id = structured(first).session_id;
    await sup.stop();
    sup = await startTestSupervisor({ SUPERVISOR_BRAIN_DIR: brainDir });
    const after = await modernClient(sup.mcpUrl);
    await after.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'forgot?', session_id: id } });
    expect(JSON.stringify(sup.llm.requests[0]?.messages)).toMatch(/## Session history\\n\\n- [^\\]*spec \(spec\) ok/);
  });
});

describe('subscriptions/listen streams', () => {
  let capped: TestSupervisor;
  beforeAll(async () => {
    capped = await startTestSupervisor({ SUPERVISOR_MAX_SESSIONS: '2' });
  });
  afterAll(async () => {
    await capped.stop();
  });

  it('are held to SUPERVISOR_MAX_SESSIONS, the refusal naming it; a closed one makes room', async () => {
    const listener = await modernClient(capped.mcpUrl);
    const first = await listener.listen({ resourcesListChanged: true });
    await listener.listen({ resourcesListChanged: true });
    const refused = await failure(listener.listen({ resourcesListChanged: true }));
    expect(refused.code).toBe(-32603);
    expect(refused.message).toContain('all 2 (SUPERVISOR_MAX_SESSIONS) are open');
    await first.close();
    await waitFor(async () => (await listener.listen({ resourcesListChanged: true }).then(() => true, () => false)), 'a listen stream after one closed');
  });
});

