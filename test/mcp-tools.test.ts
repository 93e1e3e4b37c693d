import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS } from './support/fixture-config.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
beforeAll(async () => {
  sup = await startTestSupervisor();
  await sup.deps.brain.write({
    title: 'Idempotent payment webhooks',
    type: 'pattern',
    domain: 'api',
    tags: ['webhook'],
    content: 'Record each webhook delivery id before charging, so a retried delivery is dropped.',
  });
});
afterAll(async () => {
  await sup.stop();
});

const ROOT = '/work/shop';
const CODE = { path: 'src/webhook.ts', content: 'export function onPayment(event) {\n  charge(event.amount);\n}' };

type Text = { type: string; text: string };
const textOf = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as Text[])[0]?.text ?? '';
const lastRequest = () => sup.llm.requests.at(-1)!;

interface ToolCase {
  tool: string;
  args: Record<string, unknown>;
  discipline: RegExp;
  phase: string;
  /** Text of the call that must appear in the task block. */
  taskText: string;
}

const CASES: ToolCase[] = [
  { tool: 'tdd_red', args: { spec: 'a retried payment webhook must not charge twice', test_cmd: 'npm test' }, discipline: /# Test discipline: tdd/, phase: 'red', taskText: '**Spec:** a retried payment webhook must not charge twice' },
  { tool: 'tdd_green', args: { test_path: 'src/webhook.test.ts' }, discipline: /## Phase green/, phase: 'green', taskText: '**Failing test:** src/webhook.test.ts' },
  { tool: 'tdd_refactor', args: { test_path: 'src/webhook.test.ts', impl_path: 'src/webhook.ts' }, discipline: /## Phase refactor/, phase: 'refactor', taskText: '**Implementation:** src/webhook.ts' },
  { tool: 'review', args: { files: ['src/webhook.ts'], context: 'payment webhook handler' }, discipline: /# Test discipline: review/, phase: 'review', taskText: '**Files:** src/webhook.ts' },
  { tool: 'debug', args: { error: 'TypeError: charge is not a function in payment webhook' }, discipline: /# Test discipline: debug/, phase: 'debug', taskText: '**Error:** TypeError: charge is not a function' },
  { tool: 'spec', args: { requirements: 'payment webhook deduplication', output_path: 'docs/spec.md' }, discipline: /# Test discipline: spec/, phase: 'spec', taskText: '**Requirements:** payment webhook deduplication' },
];

describe('consulting tools: what reaches the model and what comes back', () => {
  it.each(CASES)('$tool sends discipline, knowledge, history and code, returns the answer, and logs the call', async ({ tool, args, discipline, phase, taskText }) => {
    const client = await sup.connect();
    // an earlier call of another phase in the same session, to become history
    const earlier = tool === 'debug' ? 'spec' : 'debug';
    const earlierArgs = earlier === 'debug' ? { project_root: ROOT, error: 'first problem seen' } : { project_root: ROOT, requirements: 'first requirement' };
    await client.callTool({ name: earlier, arguments: earlierArgs });

    sup.llm.behave(MODELS.primary, { kind: 'answer', text: `<think>hidden</think>## Finding for ${tool}\nDetails.` });
    sup.llm.behave(MODELS.planner, { kind: 'answer', text: `<think>hidden</think>## Finding for ${tool}\nDetails.` });
    const result = await client.callTool({ name: tool, arguments: { project_root: ROOT, attachments: [CODE], ...args } });

    expect(result.isError).toBeFalsy();
    // The answer, then — when the call names a file the server may not read, or comes out of its TDD
    // order (green and refactor here follow no red or green) — the line saying so.
    expect(textOf(result).split('\n\n**supervisor:** ')[0]).toBe(`## Finding for ${tool}\nDetails.`);
    expect(textOf(result).includes('**supervisor:** no tdd_')).toBe(tool === 'tdd_green' || tool === 'tdd_refactor');
    const [system, user] = lastRequest().messages;
    expect(system?.role).toBe('system');
    expect(system?.content).toMatch(/^# Test protocols/);
    expect(system?.content).toMatch(discipline);
    expect(user?.content).toContain('## Relevant knowledge');
    expect(user?.content).toContain('### Idempotent payment webhooks (`idempotent-payment-webhooks.md`)');
    expect(user?.content).toContain('## Session history');
    expect(user?.content).toMatch(new RegExp(`- \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d ${earlier} \\(${earlier}\\) ok by `));
    expect(user?.content).toContain(`**Phase:** ${phase}`);
    expect(user?.content).toContain(`**Project root:** ${ROOT}`);
    expect(user?.content).toContain(taskText);
    expect(user?.content).toContain('#### `src/webhook.ts`');
    expect(user?.content).toContain('2 |   charge(event.amount);');

    const structured = result.structuredContent as Record<string, any>;
    expect(structured).toMatchObject({
      text: `## Finding for ${tool}\nDetails.`,
      model: expect.any(String),
      duration_ms: expect.any(Number),
      attempts: [expect.objectContaining({ outcome: 'ok', ms: expect.any(Number) })],
      knowledge: ['idempotent-payment-webhooks.md'],
      session_id: expect.stringMatching(/^[\w-]+$/),
      phase,
      brain: 'ok',
    });

    const log = (await readFile(join(sup.brainDir, 'sessions', `${structured.session_id}.jsonl`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((e) => [e.skill, e.phase, e.final_status])).toEqual([
      [earlier, earlier, 'ok'],
      [tool, phase, 'ok'],
    ]);
    expect(log[1]).toMatchObject({ session_id: structured.session_id, project_root: ROOT, model_used: structured.model, message: `## Finding for ${tool}\nDetails.`, usage: expect.any(Object) });
  });

  it('history leaves out calls of the current phase', async () => {
    const client = await sup.connect();
    await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'], attachments: [{ path: 'a.ts', content: 'x' }] } });
    await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['a.ts'], attachments: [{ path: 'a.ts', content: 'x' }] } });
    expect(lastRequest().messages[1]?.content).not.toContain('## Session history');
  });

  it('a session_id given by the caller carries history across MCP sessions', async () => {
    const first = await sup.connect();
    await first.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'boom in the parser', session_id: 'ticket-42' } });
    const second = await sup.connect();
    const result = await second.callTool({ name: 'spec', arguments: { project_root: ROOT, requirements: 'parser', session_id: 'ticket-42' } });
    expect((result.structuredContent as { session_id: string }).session_id).toBe('ticket-42');
    expect(lastRequest().messages[1]?.content).toMatch(/debug \(debug\) ok by .*: answer from|debug \(debug\) ok by/);
  });

  it('retrospective reviews the whole session log', async () => {
    const client = await sup.connect();
    await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'first error', session_id: 'retro-1' } });
    await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['x.ts'], session_id: 'retro-1' } });
    const result = await client.callTool({ name: 'retrospective', arguments: { session_id: 'retro-1' } });
    expect(result.isError).toBeFalsy();
    const [system, user] = lastRequest().messages;
    expect(system?.content).toMatch(/# Test discipline: retrospective/);
    expect(user?.content).toContain('**Consultations:** 2');
    expect(user?.content).toMatch(/debug \(debug\) ok[\s\S]*review \(review\) ok/);
    expect(user?.content).not.toContain('## Session history');
  });

  it('trainer runs the reader, then the writer with the reader\'s findings, and returns both', async () => {
    const client = await sup.connect();
    await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'flaky timeout', session_id: 'train-1' } });
    sup.llm.behave(MODELS.planner, { kind: 'answer', text: (r) => (r.messages[0]?.content.includes('trainer-reader') ? 'READER: one candidate' : 'WRITER: one entry') });
    const before = sup.llm.requests.length;
    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'train-1' } });
    const calls = sup.llm.requests.slice(before);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.messages[0]?.content).toMatch(/# Test discipline: trainer-reader/);
    expect(calls[1]?.messages[0]?.content).toMatch(/# Test discipline: trainer-writer/);
    expect(calls[1]?.messages[1]?.content).toContain('READER: one candidate');
    expect(result.structuredContent).toMatchObject({ reader: { text: 'READER: one candidate' }, writer: { text: 'WRITER: one entry' } });
    expect(textOf(result)).toBe('## Learning moments\n\nREADER: one candidate\n\n## Knowledge entries\n\nWRITER: one entry');
  });

  it('retrospective on a session with no consultations says what to do', async () => {
    const client = await sup.connect();
    const result = await client.callTool({ name: 'retrospective', arguments: { session_id: 'nothing-here' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/session nothing-here has no consultations yet/);
  });
});

describe('brain tools', () => {
  it('brain_write stores a note, brain_query finds it, and a second write gets a conflict naming the path', async () => {
    const client = await sup.connect();
    const written = await client.callTool({ name: 'brain_write', arguments: { content: 'Use jitter in backoff.', title: 'Jittered backoff', tags: ['retry'] } });
    expect(written.structuredContent).toEqual({ path: 'jittered-backoff.md', action: 'created', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const found = await client.callTool({ name: 'brain_query', arguments: { query: 'jitter', tags: ['retry'] } });
    expect((found.structuredContent as { results: Array<{ path: string }> }).results.map((r) => r.path)).toEqual(['jittered-backoff.md']);
    expect(textOf(found)).toContain('**Jittered backoff** (`jittered-backoff.md`)');
    const again = await client.callTool({ name: 'brain_write', arguments: { content: 'x', title: 'Jittered backoff' } });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/already exists at jittered-backoff\.md/);
  });
});

describe('tools/list', () => {
  it('lists every tool with annotations and an output schema, in under 10,000 characters', async () => {
    const client = await sup.connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['brain_query', 'brain_write', 'debug', 'retrospective', 'review', 'spec', 'status', 'tdd_green', 'tdd_red', 'tdd_refactor', 'trainer'].sort(),
    );
    for (const tool of tools) {
      expect(Object.keys(tool.annotations ?? {}).length, tool.name).toBeGreaterThan(0);
      expect(tool.outputSchema, tool.name).toBeDefined();
    }
    const size = JSON.stringify({ tools }).length;
    expect(size).toBeLessThan(10_000);
    // portable schemas: no $schema URIs; open objects left open by JSON Schema's default
    expect(JSON.stringify(tools)).not.toContain('$schema');
    expect(JSON.stringify(tools)).not.toMatch(/"additionalProperties":(\{\}|true)/);
  });
});
