/**
 * The session record as later calls read it: each entry holds the call's arguments in short, the
 * answer (capped far beyond 200 characters), duration, attempts and what was cut; retrospective and
 * trainer show all of it and find brain notes with the session's task words. Context windows that
 * models.yaml does not give come from LiteLLM's /model/info.
 */
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionLogFiles } from '../common/session-log/files.js';
import { ENTRY_LIMITS } from '../src/session/log.js';
import { startBrainProxy, startService } from './support/service.js';
import { FIXTURE_CONFIG_DIR, MODELS } from './support/fixture-config.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

/**
 * A real brain service behind a proxy that records the searches sent to it: what the session's calls
 * asked the brain. The session logs are the service's (team mode), in `logs`.
 */
async function recordingBrain(): Promise<{ url: string; queries: string[]; logs: SessionLogFiles; close(): Promise<void> }> {
  const service = await startService();
  const queries: string[] = [];
  const proxy = await startBrainProxy(service.url, (path, body) => {
    if (path === '/query') queries.push((JSON.parse(body) as { query: string }).query);
    return 'forward';
  });
  return {
    url: proxy.url,
    queries,
    logs: new SessionLogFiles(join(service.brainDir, 'sessions')),
    close: async () => {
      await proxy.close();
      await service.stop();
    },
  };
}

const LONG_ANSWER = `${'The parser drops the last token when the input ends without a newline. '.repeat(20)}END-OF-ANSWER-MARKER`;

describe('a session reviewed', () => {
  let sup: TestSupervisor;
  let brain: Awaited<ReturnType<typeof recordingBrain>>;
  let client: Client;
  let project: string;

  beforeAll(async () => {
    brain = await recordingBrain();
    sup = await startTestSupervisor({ INGEST_BASE_URL: brain.url });
    client = await sup.connect();
    project = await mkdtemp(join(tmpdir(), 'record-project-'));
    await mkdir(join(project, 'src'));
    await writeFile(join(project, 'src', 'tokenizer.ts'), 'export const tokens = (s: string) => s.split(" ");\n');
  });
  afterAll(async () => {
    await sup.stop();
    await brain.close();
    await rm(project, { recursive: true, force: true });
  });

  it("records each call's arguments in short, its answer well past 200 characters, attempts and fallbacks, and shows them to retrospective", async () => {
    const session = 'record-1';
    sup.llm.behave(MODELS.primary, { kind: 'answer', text: LONG_ANSWER });
    await client.callTool({ name: 'debug', arguments: { project_root: project, error: `tokenizer drops the trailing quokka token\n${'at frame\n'.repeat(600)}`, session_id: session } });
    // The next call falls back: its entry must say which model failed and how.
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503, message: 'overloaded' });
    await client.callTool({ name: 'review', arguments: { project_root: project, files: ['src/tokenizer.ts'], context: 'wombat edge cases', session_id: session } });

    const [debugEntry, reviewEntry] = await brain.logs.read(session);
    expect(debugEntry?.arguments?.error).toMatch(/^tokenizer drops the trailing quokka token at frame/);
    expect(debugEntry?.arguments?.error?.length).toBeLessThanOrEqual(ENTRY_LIMITS.argumentChars);
    expect(debugEntry?.message).toBe(LONG_ANSWER);
    expect(debugEntry?.message_chars).toBe(LONG_ANSWER.length);
    expect(reviewEntry?.arguments).toEqual({ files: 'src/tokenizer.ts', context: 'wombat edge cases' });
    expect(reviewEntry?.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [MODELS.primary, 'server_error'],
      [MODELS.fallback, 'ok'],
    ]);

    brain.queries.length = 0;
    const result = await client.callTool({ name: 'retrospective', arguments: { session_id: session } });
    expect(result.isError).toBeFalsy();
    const user = sup.llm.requests.at(-1)?.messages[1]?.content ?? '';
    expect(user).toContain('Arguments: error: tokenizer drops the trailing quokka token');
    expect(user).toContain('Arguments: files: src/tokenizer.ts; context: wombat edge cases');
    expect(user).toMatch(/review \(review\) ok by test\/fallback, \d+\.\d s/);
    expect(user).toMatch(/Attempts: test\/primary server_error \(503 [^)]*\), \d+\.\d s; test\/fallback ok/);
    expect(user).toContain('END-OF-ANSWER-MARKER');

    // The brain was asked about the session's task, not its timestamps or models.
    expect(brain.queries).toHaveLength(1);
    const query = brain.queries[0] ?? '';
    expect(query).toMatch(/quokka/);
    expect(query).toMatch(/wombat/);
    expect(query).toMatch(/tokenizer/);
    expect(query).not.toMatch(/\b20\d\d\b|primary|fallback|planner/);
  });

  it('caps an answer at the documented bound and says how long it was', async () => {
    const session = 'record-2';
    const huge = 'x'.repeat(ENTRY_LIMITS.answerChars + 1500);
    sup.llm.behave(MODELS.primary, { kind: 'answer', text: huge });
    await client.callTool({ name: 'spec', arguments: { project_root: project, requirements: 'a tokenizer for quoted strings', model: MODELS.primary, session_id: session } });
    const [entry] = await brain.logs.read(session);
    expect(entry?.message).toHaveLength(ENTRY_LIMITS.answerChars);
    expect(entry?.message_chars).toBe(huge.length);
    expect(entry?.arguments).toEqual({ requirements: 'a tokenizer for quoted strings', model: MODELS.primary });

    await client.callTool({ name: 'retrospective', arguments: { session_id: session } });
    expect(sup.llm.requests.at(-1)?.messages[1]?.content).toContain(`Answer (first ${ENTRY_LIMITS.answerChars} of ${huge.length} characters):`);
  });

  it('still reads lines written by the Go supervisor and by this server before arguments were logged', async () => {
    const session = 'record-old';
    await mkdir(brain.logs.dir, { recursive: true });
    const goLine = { session_id: session, timestamp: '2025-03-01T10:00:00Z', skill: 'tdd_red', phase: 'red', project_root: '/p', final_status: 'success', model_used: 'gpu/old', duration_ms: 4200, message: 'a failing test for the platypus parser' };
    const earlierLine = { ...goLine, timestamp: '2026-01-01T10:00:00Z', skill: 'debug', phase: 'debug', final_status: 'ok', message: 'hypotheses about the echidna cache', attempts: [{ model: 'gpu/old', outcome: 'ok', ms: 4100 }], usage: null };
    // A hand-edited line whose new fields hold the wrong types: shown without them, never a failed review.
    const editedLine = { ...earlierLine, skill: 'review', phase: 'review', message: 'looked at the numbat module', arguments: { files: 7 }, cut: { truncated: 'x', knowledge: 'many' } };
    await appendFile(join(brain.logs.dir, `${session}.jsonl`), [goLine, earlierLine, editedLine].map((line) => `${JSON.stringify(line)}\n`).join(''));
    brain.queries.length = 0;
    const result = await client.callTool({ name: 'retrospective', arguments: { session_id: session } });
    expect(result.isError).toBeFalsy();
    const user = sup.llm.requests.at(-1)?.messages[1]?.content ?? '';
    expect(user).toContain('tdd_red (red) success by gpu/old, 4.2 s');
    expect(user).toContain('tdd_red (red) success by gpu/old, 4.2 s\nAnswer:\na failing test for the platypus parser');
    expect(user).toContain('debug (debug) ok by gpu/old, 4.2 s');
    expect(brain.queries[0]).toMatch(/platypus/);
    expect(brain.queries[0]).toMatch(/echidna/);
    expect(user).toContain('review (review) ok by gpu/old, 4.2 s\nAnswer:\nlooked at the numbat module');
  });

  it("trainer's reader reads the same blocks and searches with the same task words", async () => {
    brain.queries.length = 0;
    const before = sup.llm.requests.length;
    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'record-1' } });
    expect(result.isError).toBeFalsy();
    const reader = sup.llm.requests[before]?.messages[1]?.content ?? '';
    expect(reader).toContain('Arguments: files: src/tokenizer.ts; context: wombat edge cases');
    expect(reader).toContain('END-OF-ANSWER-MARKER');
    expect(brain.queries[0]).toMatch(/quokka/);
    expect(brain.queries[0]).not.toMatch(/\b20\d\d\b|primary|fallback|planner/);
  });
});

describe('context windows', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'record-models-'));
    // test/wide has no window here; test/primary declares one LiteLLM disagrees with.
    await writeFile(
      join(dir, 'models.yaml'),
      'default_chain: [test/wide]\ndefault_context_window: 8192\nmodels:\n  test/primary: { context_window: 32768 }\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A debug call with 60,000 characters of code by test/wide, and what its prompt had to cut. */
  async function reviewBig(sup: TestSupervisor) {
    const client = await sup.connect();
    const result = await client.callTool({
      name: 'debug',
      arguments: { project_root: '/work/p', error: 'slow start', attachments: [{ path: 'big.ts', content: 'const a = 1;\n'.repeat(4600) }] },
    });
    return (result.structuredContent as { cut: { truncated: string[] } }).cut;
  }

  it("fits prompts to LiteLLM's window for a model models.yaml gives none, and warns when a declared window disagrees", async () => {
    const sup = await startTestSupervisor({ SUPERVISOR_MODELS_FILE: join(dir, 'models.yaml'), SUPERVISOR_CONFIG_DIR: FIXTURE_CONFIG_DIR }, { modelInfo: { 'test/wide': 65536, 'test/primary': 16384 } });
    try {
      expect((await reviewBig(sup)).truncated).toEqual([]);
      expect(sup.logs()).toMatch(/models\.yaml gives test\/primary a context window of 32768 tokens but LiteLLM reports 16384/);
    } finally {
      await sup.stop();
    }
  });

  it('keeps the default window, without a warning, when LiteLLM has no /model/info', async () => {
    const sup = await startTestSupervisor({ SUPERVISOR_MODELS_FILE: join(dir, 'models.yaml'), SUPERVISOR_CONFIG_DIR: FIXTURE_CONFIG_DIR });
    try {
      expect((await reviewBig(sup)).truncated).toEqual(['big.ts']);
      expect(sup.logs()).not.toMatch(/LiteLLM reports/);
    } finally {
      await sup.stop();
    }
  });
});
