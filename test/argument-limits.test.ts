/**
 * Issue 8, items 8 and 11: what a consulting call accepts is bounded — counts and sizes of files,
 * attachments and text arguments, and the `model` name — and nothing a call holds keeps the event
 * loop busy: the largest payloads the limits allow answer quickly while /health stays responsive.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../common/http/json-depth.js';
import { collectAttachments } from '../src/consult/attach.js';
import { estimateTokens } from '../src/consult/prompt.js';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let client: Client;
useTestSupervisor((started, connected) => ((sup = started), (client = connected)));

const base = { project_root: '/nowhere/project' };

/** The text of a refused call: a validation error reaches the client as a tool error or a rejection. */
async function refusal(name: string, args: Record<string, unknown>): Promise<string> {
  const before = sup.llm.requests.length;
  try {
    const result = await client.callTool({ name, arguments: args });
    expect(result.isError, JSON.stringify(result).slice(0, 300)).toBe(true);
    expect(sup.llm.requests.length, 'nothing reaches the model').toBe(before);
    return (result.content as Array<{ text: string }>).map((c) => c.text).join('\n');
  } catch (error) {
    expect(sup.llm.requests.length, 'nothing reaches the model').toBe(before);
    return (error as Error).message;
  }
}

/**
 * How slow a /health answer may be while a large call runs: an event loop held by the call keeps
 * it waiting for seconds; a loaded machine adds a few hundred milliseconds at most.
 */
const HEALTH_BOUND_MS = 2_000;

/** Runs `work` while polling /health; returns the slowest /health answer seen meanwhile. */
async function slowestHealthDuring(work: () => Promise<unknown>): Promise<number> {
  const health = sup.mcpUrl.replace('/mcp', '/health');
  let running = true;
  let slowest = 0;
  const poll = (async () => {
    while (running) {
      const started = performance.now();
      await fetch(health);
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await poll;
  }
  return slowest;
}

describe('limits in the tools’ schemas: one past a limit is refused with a reason naming it', () => {
  it('files: at most 200 entries, each path at most 1024 characters', async () => {
    const files = Array.from({ length: 201 }, (_, i) => `src/f${i}.ts`);
    // the whole answer is the one line: no protocol error wrapped around it
    expect(await refusal('review', { ...base, files })).toBe('files: at most 200 entries');
    expect(await refusal('review', { ...base, files: ['a'.repeat(1025)] })).toContain('files[]: at most 1024 characters');
  });

  it('attachments: at most 200 entries, a path of at most 1024 and content of at most 1,000,000 characters', async () => {
    const many = Array.from({ length: 201 }, (_, i) => ({ path: `f${i}.ts`, content: '' }));
    expect(await refusal('debug', { ...base, error: 'boom', attachments: many })).toContain('attachments: at most 200 entries');
    expect(await refusal('debug', { ...base, error: 'boom', attachments: [{ path: 'p'.repeat(1025), content: '' }] })).toContain(
      'attachments[].path: at most 1024 characters',
    );
    expect(await refusal('debug', { ...base, error: 'boom', attachments: [{ path: 'a.ts', content: 'x'.repeat(1_000_001) }] })).toContain(
      'attachments[].content: at most 1000000 characters',
    );
  });

  it('text arguments: at most 1,000,000 characters; paths 1024; test_cmd 1000; project_root 4096', async () => {
    expect(await refusal('spec', { ...base, requirements: 'r'.repeat(1_000_001) })).toContain('requirements: at most 1000000 characters');
    expect(await refusal('debug', { ...base, error: 'e', context: 'c'.repeat(1_000_001) })).toContain('context: at most 1000000 characters');
    expect(await refusal('tdd_green', { ...base, test_path: 't'.repeat(1025) })).toContain('test_path: at most 1024 characters');
    expect(await refusal('tdd_red', { ...base, spec: 's', test_cmd: 'n'.repeat(1001) })).toContain('test_cmd: at most 1000 characters');
    expect(await refusal('tdd_red', { project_root: `/${'d'.repeat(4096)}`, spec: 's' })).toContain('project_root: at most 4096 characters');
  });

  it('model: 1–200 characters of LiteLLM model-name characters, on every consulting tool', async () => {
    const expected = 'model: 1–200 characters of A-Z a-z 0-9 . _ : / @ + -';
    expect(await refusal('debug', { ...base, error: 'e', model: 'm'.repeat(100_000) })).toContain(expected);
    expect(await refusal('debug', { ...base, error: 'e', model: 'any/model 32b' })).toContain(expected);
    expect(await refusal('retrospective', { model: `x\n${'y'.repeat(300)}` })).toContain(expected);
    // a real LiteLLM name passes
    const ok = await client.callTool({ name: 'debug', arguments: { ...base, error: 'e', model: 'ollama_chat/any-model:32b@v1+q4' } });
    expect(ok.isError).toBeFalsy();
  });
});

describe('the largest calls the limits allow answer quickly and never hold the server', () => {
  it('200 named files with 200 attachments, all matched: answers, and /health stays responsive', async () => {
    const files = Array.from({ length: 200 }, (_, i) => `src/module-${i}.ts`);
    const attachments = files.map((path) => ({ path: `./${path}`, content: '' }));
    let result: Awaited<ReturnType<Client['callTool']>> | undefined;
    const slowest = await slowestHealthDuring(async () => {
      result = await client.callTool({ name: 'review', arguments: { ...base, files, attachments } });
    });
    expect(result?.isError).toBeFalsy();
    expect((result?.structuredContent as { files: unknown[] }).files).toHaveLength(200);
    expect(slowest).toBeLessThan(HEALTH_BOUND_MS);
  });

  it('200 attachments of 19 KB (3.8 MB, near the 4 MiB body limit) are fitted to the window without holding the event loop', async () => {
    const content = Array.from({ length: 500 }, (_, line) => `const value${line} = compute(${line}); // ${'x'.repeat(8)}`).join('\n').slice(0, 19_000);
    const attachments = Array.from({ length: 200 }, (_, i) => ({ path: `src/part-${i}.ts`, content }));
    let result: Awaited<ReturnType<Client['callTool']>> | undefined;
    const started = performance.now();
    const slowest = await slowestHealthDuring(async () => {
      result = await client.callTool({ name: 'debug', arguments: { ...base, error: 'TypeError: x is undefined', attachments } });
    });
    expect(result?.isError).toBeFalsy();
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(slowest).toBeLessThan(HEALTH_BOUND_MS);
    const cut = (result?.structuredContent as { cut: { truncated: string[]; omitted: string[] } }).cut;
    expect(cut.truncated.length + cut.omitted.length).toBeGreaterThan(100);
    const sent = sup.llm.requests.at(-1)?.messages ?? [];
    const window = sup.deps.models.contextWindow(sup.deps.models.chainFor('debug')[0] ?? '');
    expect(estimateTokens(sent.map((m) => m.content).join(''))).toBeLessThanOrEqual(window);
  });
});

describe('matching named files to attachments is linear (the bridge passes what a client sends unchecked)', () => {
  it('20,000 named files and 20,000 attachments are matched at once; past 200 files, the rest is reported in one line', async () => {
    const given = Array.from({ length: 20_000 }, (_, i) => ({ path: `given-${i}.ts`, content: '' }));
    const named = Array.from({ length: 20_000 }, (_, i) => `named-${i}.ts`);
    const started = performance.now();
    const { report } = await collectAttachments({ given, named, projectRoot: '/nowhere', readableRoots: [] });
    expect(performance.now() - started).toBeLessThan(3_000); // a quadratic match of 20,000 × 20,000 takes far longer
    expect(report.filter((r) => r.status === 'skipped')).toHaveLength(201);
    expect(report).toContainEqual({ path: '(19800 more)', status: 'skipped', reason: 'a call reads at most 200 files' });
  });
});

describe('metrics are labelled with configured models only', () => {
  it('50 calls naming 50 unknown models leave /metrics the same size; their calls count under "other"', async () => {
    const metrics = async () => (await fetch(sup.mcpUrl.replace('/mcp', '/metrics'))).text();
    const call = (model: string) => client.callTool({ name: 'debug', arguments: { ...base, error: 'e', model } });
    await call(`made-up/first-${'a'.repeat(150)}`);
    const before = (await metrics()).length;
    for (let i = 0; i < 50; i++) await call(`made-up/model-${i}-${'b'.repeat(150)}`);
    const after = await metrics();
    expect(after).not.toContain('made-up/');
    expect(after).toMatch(/supervisor_tool_calls_total\{tool="debug",model="other",outcome="ok"\} \d+/);
    // counters grow by digits, never by a series per name (50 × 150-character names would be ≥ 15 KB)
    expect(after.length - before).toBeLessThan(2000);
  });
});

describe('a body nested deeper than any MCP message is refused before it is parsed, in both eras', () => {
  const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(sup.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });

  it.each([
    ['2026-07-28, in _meta', `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":${JSON.stringify(META).slice(0, -1)},"x":${deep(100_000)}}}}`],
    ['2025, in an initialize', `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"x":${deep(100_000)}},"clientInfo":{"name":"c","version":"1"}}}`],
  ])('%s: 400 naming the limit, and the server answers on', async (_where, body) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(`nests deeper than ${MAX_JSON_DEPTH} levels`);
    expect((await fetch(sup.mcpUrl.replace('/mcp', '/health'))).status).toBe(200);
  });

  it('counts brackets inside strings as text, and takes the deepest real arguments', () => {
    expect(nestsDeeperThan(JSON.stringify({ text: '['.repeat(10_000), escaped: '\\"[[[' }), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(deep(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(deep(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });
});
