/**
 * The tools over the MCP SDK's in-memory transport, with every dependency a fake of its interface
 * (src/deps.ts): no HTTP, no LiteLLM, no files. What reaches the model, what the caller gets and what
 * the session log keeps.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Deps, DisciplineStore, ModelClient, SessionStore } from '../src/deps.js';
import type { ChatMessage, CompletionRequest } from '../src/llm/chain.js';
import { CallGate } from '../src/mcp/call-gate.js';
import { createMcpServer, mcpSurface } from '../src/mcp/server.js';
import type { SessionEntry } from '../src/session/log.js';

const ROOT = '/work/shop';

/** Answers at once with `answer`, and keeps every prompt. */
function fakeModels(answer = 'the model answer') {
  const prompts: Array<{ chain: readonly string[]; messages: ChatMessage[] }> = [];
  const llm: ModelClient = {
    baseUrl: 'http://models.invalid',
    servedModels: async () => ['fake/model'],
    complete: async (chain: readonly string[], request: CompletionRequest) => {
      prompts.push({ chain, messages: request.messages });
      const model = chain[0] ?? 'none';
      return { text: answer, model, attempts: [{ model, outcome: 'ok', ms: 1 }], usage: null, durationMs: 1 };
    },
  };
  return { llm, prompts };
}

/** Session logs in memory; `failAppend` makes every append fail as a full disk would. */
function memorySessions(entries: SessionEntry[] = [], failAppend = false): SessionStore & { entries: SessionEntry[] } {
  return {
    entries,
    append: async (entry) => {
      if (failAppend) throw Object.assign(new Error('ENOSPC: no space left on device, open /srv/secret/sessions/x.jsonl'), { code: 'ENOSPC' });
      entries.push(entry);
    },
    recent: async (id, { limit = Infinity, keep = () => true } = {}) => entries.filter((e) => e.session_id === id && keep(e)).slice(-limit),
    newest: async (id) => ({ entries: entries.filter((e) => e.session_id === id), complete: true }),
    tail: async (id) => ({ entries: entries.filter((e) => e.session_id === id), earlier: 0, earlierExact: true }),
    list: async () => ({ sessions: [...new Set(entries.map((e) => e.session_id))].map((id) => ({ id })), next: null, order: 'by name' }),
    onNewLog: () => () => undefined,
  };
}

const disciplines: DisciplineStore = { text: async (name) => `# ${name} discipline` };

function fakeDeps(overrides: Partial<Deps> = {}): Deps & { errors: string[] } {
  const errors: string[] = [];
  return {
    llm: fakeModels().llm,
    models: { chainFor: () => ['fake/model'], contextWindow: () => 8192, allModels: () => ['fake/model'] },
    brain: {
      where: 'fake brain',
      search: async () => [{ path: 'retry.md', title: 'Retry with backoff', excerpt: 'Use jitter.', score: 1, sha256: '0'.repeat(64) }],
      write: async () => {
        throw new Error('not in this test');
      },
      count: async () => 1,
      read: async () => {
        throw new Error('not in this test');
      },
      readMarkdown: async () => {
        throw new Error('not in this test');
      },
      list: async () => ({ notes: [], next: null }),
      onChange: () => () => undefined,
    },
    sessions: memorySessions(),
    disciplines,
    projectRoots: [],
    logger: { error: (_object, message) => void errors.push(message), warn: () => undefined, info: () => undefined, debug: () => undefined },
    errors,
    ...overrides,
  };
}

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function connect(deps: Deps): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(mcpSurface(deps, { version: 'test', gate: new CallGate(100) })).connect(serverSide);
  const client = new Client({ name: 'fakes-test', version: '1' });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

type Text = { type: string; text: string };
const texts = (result: unknown) => (result as { content: Text[] }).content.map((c) => c.text);

const earlier: SessionEntry = {
  session_id: 's1',
  timestamp: '2024-05-01T10:00:00.000Z',
  skill: 'tdd_red',
  phase: 'red',
  project_root: ROOT,
  final_status: 'ok',
  model_used: 'fake/model',
  duration_ms: 5,
  message: 'write a test for the empty cart',
  attempts: [],
  usage: null,
};

describe('a consultation with fake dependencies', () => {
  it('sends discipline, knowledge, history and task, answers, and logs the call', async () => {
    const models = fakeModels();
    const sessions = memorySessions([earlier]);
    const client = await connect(fakeDeps({ llm: models.llm, sessions }));

    const result = await client.callTool({
      name: 'tdd_green',
      arguments: { project_root: ROOT, test_path: 'cart.test.ts', session_id: 's1', attachments: [{ path: 'cart.test.ts', content: 'it("totals")' }] },
    });

    expect(texts(result)).toEqual(['the model answer']);
    const [system, user] = models.prompts[0]?.messages.map((m) => m.content) ?? [];
    expect(system).toBe('# protocols discipline\n\n---\n\n# tdd discipline\n');
    expect(user).toContain('## Relevant knowledge\n\n### Retry with backoff (`retry.md`)\nUse jitter.');
    expect(user).toContain('tdd_red (red) ok by fake/model: write a test for the empty cart');
    expect(user).toContain('**Phase:** green');
    expect(user).toContain('**Failing test:** cart.test.ts');
    expect(user).toContain('1 | it("totals")');
    expect(result.structuredContent).toMatchObject({ knowledge: ['retry.md'], phase: 'green', brain: 'ok', cut: { knowledge: 0, history: 0, fields: [] } });
    expect(sessions.entries.at(-1)).toMatchObject({ session_id: 's1', skill: 'tdd_green', phase: 'green', final_status: 'ok', message: 'the model answer' });
  });

  it('a text too long for the window is cut, and the cut says which argument', async () => {
    const models = fakeModels();
    const deps = fakeDeps({ llm: models.llm });
    deps.models = { ...deps.models, contextWindow: () => 1024 };
    const client = await connect(deps);

    const result = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'stack frame\n'.repeat(2000) } });

    expect(result.structuredContent).toMatchObject({ cut: { fields: ['error'] } });
    expect(models.prompts[0]?.messages[1]?.content).toMatch(/… \[cut: \d+ more characters did not fit the model's context\]/);
  });

  it('a session log that cannot be written keeps the answer; the caller gets the reason without the path', async () => {
    const deps = fakeDeps({ sessions: memorySessions([], true) });
    const client = await connect(deps);

    const result = await client.callTool({ name: 'spec', arguments: { project_root: ROOT, requirements: 'a cart', session_id: 's1' } });

    expect(result.isError).toBeFalsy();
    expect(texts(result)).toEqual(['the model answer', "Session log not written: the disk is full (ENOSPC); the server log has the details: this call is missing from the session's history."]);
    expect(result.structuredContent).toMatchObject({ session_log: 'not written: the disk is full (ENOSPC); the server log has the details' });
    expect(JSON.stringify(result)).not.toContain('/srv/secret');
    expect(deps.errors).toEqual(['cannot write the session log']);
  });
});

describe('tools/list with fake dependencies', () => {
  it('annotations follow each tool\'s kind (the hints that mean something and differ from the MCP defaults), and the consulting tools that read files publish which arguments name them', async () => {
    const client = await connect(fakeDeps());
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get('review')?.annotations).toEqual({ readOnlyHint: true });
    expect(byName.get('retrospective')?.annotations).toEqual({ destructiveHint: false });
    expect(byName.get('brain_query')?.annotations).toEqual({ readOnlyHint: true, openWorldHint: false });
    expect(byName.get('status')?.annotations).toEqual({ readOnlyHint: true });
    expect(byName.get('brain_write')?.annotations).toEqual({ openWorldHint: false });
    const fileArguments = Object.fromEntries(tools.flatMap((t) => (t._meta ? [[t.name, t._meta['supervisor/file_arguments']]] : [])));
    expect(fileArguments).toEqual({ tdd_green: ['test_path'], tdd_refactor: ['test_path', 'impl_path'], review: ['files'], spec: undefined });
    expect(byName.get('spec')?._meta).toEqual({ 'supervisor/output_file': 'output_path' });
  });
});
