/**
 * A team moving from the first deployment keeps its brain volume and its models.yaml: the files it
 * already has are served as they are (docs/migrating.md).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

// The brain volume as the first deployment left it: notes under knowledge/ in folders of their own,
// frontmatter with title, type, domain and tags (a list, or one comma-separated string), notes
// with no frontmatter at all, and one JSONL session log per session under sessions/.
const NOTES: Record<string, string> = {
  'patterns/retry-with-backoff.md':
    '---\ntitle: Retry with exponential backoff\ntype: pattern\ndomain: resilience\ntags: retry, network\n---\nRetry idempotent calls with jittered exponential backoff and a cap.\n',
  'corrections/no-sleep-in-tests.md':
    '---\ntitle: Wait for events, not for time\ntype: correction\ndomain: testing\ntags: [flaky, testing]\n---\nA test that sleeps passes on a fast machine and flakes on a loaded one.\n',
  'plain-note.md': '# Feature flags live one release\n\nRemove a feature flag in the release after it is fully rolled out.\n',
};

// Lines as the first deployment wrote them: no attempts or usage, and one with an outcome word of its own.
const GO_SESSION = [
  { session_id: 'go-session', timestamp: '2026-03-02T10:00:00Z', skill: 'tdd', phase: 'red', project_root: '/src/shop', final_status: 'ok', model_used: 'gpu/old-coder', duration_ms: 5100, message: 'Write a failing test for the refund rounding' },
  { session_id: 'go-session', timestamp: '2026-03-02T10:05:00Z', skill: 'review', phase: 'review', project_root: '/src/shop', final_status: 'failed', model_used: null, duration_ms: 900, message: null },
]
  .map((entry) => JSON.stringify(entry))
  .join('\n');

// The original shape (default_chain, skills.<skill>.chain), skills named by tool or by family,
// keys this server does not use, no context windows, and one misspelt skill.
const MODELS_YAML = `default_chain: [lan/default-model]
skills:
  tdd_red:
    chain: [lan/red-model]
    temperature: 0.2
  tdd:
    chain: [lan/tdd-model]
  reveiw:
    chain: [lan/typo-model]
request_timeout: 120
`;

let goBrain: string;
let sup: TestSupervisor;
let client: Client;

beforeAll(async () => {
  goBrain = await mkdtemp(join(tmpdir(), 'supervisor-go-brain-'));
  for (const [path, text] of Object.entries(NOTES)) {
    await mkdir(join(goBrain, 'knowledge', path, '..'), { recursive: true });
    await writeFile(join(goBrain, 'knowledge', path), text);
  }
  await mkdir(join(goBrain, 'sessions'));
  await writeFile(join(goBrain, 'sessions', 'go-session.jsonl'), `${GO_SESSION}\n`);
  const modelsFile = join(goBrain, 'models.yaml');
  await writeFile(modelsFile, MODELS_YAML);
  sup = await startTestSupervisor({ SUPERVISOR_BRAIN_DIR: goBrain, SUPERVISOR_MODELS_FILE: modelsFile });
  client = await sup.connect();
});

afterAll(async () => {
  await sup?.stop();
  await rm(goBrain, { recursive: true, force: true });
});

const found = async (args: Record<string, unknown>) => {
  const result = await client.callTool({ name: 'brain_query', arguments: args });
  expect(result.isError).toBeFalsy();
  return (result.structuredContent as { results: Array<{ path: string; title: string }> }).results;
};

describe('a brain volume from the first deployment', () => {
  it('is searched as it is: titles, nested folders, comma-separated tags and notes with no frontmatter', async () => {
    expect((await found({ query: 'backoff' }))[0]).toMatchObject({ path: 'patterns/retry-with-backoff.md', title: 'Retry with exponential backoff' });
    expect((await found({ query: 'test', tags: ['network'] })).map((hit) => hit.path)).toEqual([]);
    expect((await found({ query: 'retry', tags: ['network'] })).map((hit) => hit.path)).toEqual(['patterns/retry-with-backoff.md']);
    expect((await found({ query: 'test', type: 'correction', domain: 'testing' })).map((hit) => hit.path)).toEqual(['corrections/no-sleep-in-tests.md']);
    expect((await found({ query: 'feature flag' }))[0]).toMatchObject({ path: 'plain-note.md', title: 'Feature flags live one release' });
  });

  it('keeps its session logs: a retrospective reads lines written without attempts or usage', async () => {
    const result = await client.callTool({ name: 'retrospective', arguments: { session_id: 'go-session' } });
    expect(result.isError).toBeFalsy();
    const prompt = sup.llm.requests.at(-1)!.messages.map((m) => m.content).join('\n');
    expect(prompt).toMatch(/tdd \(red\) ok by gpu\/old-coder, \d+\.\d s\nAnswer:\nWrite a failing test for the refund rounding/);
    expect(prompt).toContain('review (review) failed');
  });
});

describe('a models.yaml from the first deployment', () => {
  const modelAsked = async (tool: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name: tool, arguments: { project_root: '/src/shop', ...args } });
    expect(result.isError).toBeFalsy();
    return sup.llm.requests.at(-1)!.model;
  };

  it('chooses chains by tool name, else by family, else the default chain', async () => {
    expect(await modelAsked('tdd_red', { spec: 'refunds round half to even' })).toBe('lan/red-model');
    expect(await modelAsked('tdd_green', { test_path: 'refund.test.ts' })).toBe('lan/tdd-model');
    expect(await modelAsked('debug', { error: 'refund off by one cent' })).toBe('lan/default-model');
  });

  it('loads with keys this server does not use, and names a misspelt skill at start', () => {
    expect(sup.logs()).toMatch(/models\.yaml names skills that do not exist \(reveiw\)/);
  });
});
