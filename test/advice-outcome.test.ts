import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRunState } from '../src/consult/advice-outcome.js';
import { MODELS } from './support/fixture-config.js';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

/** Real `node --test` output of a file, as an agent would paste it (stdout and stderr, whatever the exit code). */
async function nodeTestOutput(dir: string, name: string, source: string): Promise<string> {
  await writeFile(join(dir, name), source);
  const run = promisify(execFile)(process.execPath, ['--test', name], { cwd: dir }).catch((error: { stdout: string; stderr: string }) => error);
  const { stdout, stderr } = await run;
  return `${stdout}\n${stderr}`;
}

let dir: string;
const runs = { failing: '', passing: '', broken: '' };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-test-output-'));
  const header = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n";
  [runs.failing, runs.passing, runs.broken] = await Promise.all([
    nodeTestOutput(dir, 'failing.test.mjs', `${header}test('adds', () => assert.equal(1 + 1, 3));\n`),
    nodeTestOutput(dir, 'passing.test.mjs', `${header}test('adds', () => assert.equal(1 + 1, 2));\n`),
    nodeTestOutput(dir, 'broken.test.mjs', `${header}test('adds', () => { assert.equal(1 + 1, 2);\n`),
  ]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('what a test run says', () => {
  it("reads node --test's own output: a failed assertion, all passing, a file that does not load", () => {
    expect(testRunState(runs.failing)).toBe('failed');
    expect(testRunState(runs.passing)).toBe('passed');
    expect(testRunState(runs.broken)).toBe('error');
  });

  it.each([
    ['vitest', ' FAIL  src/sum.test.ts > adds\nAssertionError: expected 2 to be 3\n Test Files  1 failed (1)\n      Tests  1 failed | 3 passed (4)', 'failed'],
    ['vitest', ' Test Files  2 passed (2)\n      Tests  14 passed (14)', 'passed'],
    ['vitest', ' FAIL  src/sum.test.ts [ src/sum.test.ts ]\nSyntaxError: Unexpected token )\n Test Files  1 failed (1)\n      Tests  no tests', 'error'],
    ['jest', 'expect(received).toBe(expected)\n    Expected: 3\n    Received: 2\nTests:       1 failed, 2 passed, 3 total', 'failed'],
    ['jest', "Cannot find module './sum' from 'sum.test.js'\nTest Suites: 1 failed, 1 total\nTests:       0 total", 'error'],
    ['mocha', '  2 passing (8ms)\n  1 failing\n\n  1) adds:\n     AssertionError [ERR_ASSERTION]', 'failed'],
    ['pytest', '=========== 1 failed, 2 passed in 0.12s ===========', 'failed'],
    ['pytest', 'E   ModuleNotFoundError: No module named "sum"\n=========== 1 error in 0.05s ===========', 'error'],
    ['pytest', '=========== 3 passed in 0.02s ===========', 'passed'],
    ['go', '--- FAIL: TestAdd (0.00s)\n    sum_test.go:9: got 2, want 3\nFAIL\nFAIL\texample.com/sum\t0.002s', 'failed'],
    ['go', 'ok  \texample.com/sum\t0.002s', 'passed'],
    ['cargo', 'error[E0425]: cannot find value `x` in this scope\nerror: could not compile `sum`', 'error'],
    ['cargo', 'test result: ok. 3 passed; 0 failed; 0 ignored', 'passed'],
    ['tsc', "src/sum.ts(3,5): error TS1005: ';' expected.", 'error'],
    ['a line with nothing to tell', 'Done in 0.3s.', 'unknown'],
  ])('%s: %j is %s', (_runner, output, state) => {
    expect(testRunState(output)).toBe(state);
  });

  it('reads only the end of a huge output, where runners print their summary', () => {
    expect(testRunState(`${'AssertionError: old noise\n'.repeat(100_000)}${'x'.repeat(30_000)}\n# pass 3\n# fail 0`)).toBe('passed');
  });
});

describe("whether the previous step's advice worked, from the next call's test_output", () => {
  let sup: TestSupervisor;
  let client: Client;
  useTestSupervisor((s, c) => {
    sup = s;
    client = c;
  });
  const ROOT = '/work/shop';
  type Result = Awaited<ReturnType<Client['callTool']>>;
  const structured = (result: Result) => result.structuredContent as Record<string, any>;
  const metricsText = async () => (await fetch(sup.mcpUrl.replace('/mcp', '/metrics'))).text();
  const statusText = async () => ((await client.callTool({ name: 'status', arguments: {} })).content as Array<{ text: string }>)[0]!.text;

  it('red then green then refactor: each judged by the output the next call brings, in the log, the answer, /metrics and status', async () => {
    sup.llm.behave(MODELS.primary, { kind: 'answer', text: 'Write this test.' });
    const red = await client.callTool({ name: 'tdd_red', arguments: { project_root: ROOT, spec: 'adds two numbers' } });
    const session_id = structured(red).session_id as string;

    sup.llm.behave(MODELS.primary, { kind: 'answer', text: 'Return a + b.' });
    const green = await client.callTool({ name: 'tdd_green', arguments: { project_root: ROOT, test_path: 'failing.test.mjs', test_output: runs.failing, session_id } });
    expect(structured(green).advice_outcome).toEqual({ skill: 'tdd_red', model: MODELS.primary, expected: 'failed', seen: 'failed', worked: true });
    // the consultant reads the output too: it is the best context there is
    expect(sup.llm.requests.at(-1)!.messages[1]!.content).toContain('**Output of the test run:**');
    expect(sup.llm.requests.at(-1)!.messages[1]!.content).toMatch(/fail 1/);

    sup.llm.behave(MODELS.fallback, { kind: 'answer', text: 'Rename.' });
    const refactor = await client.callTool({ name: 'tdd_refactor', arguments: { project_root: ROOT, test_path: 'a.test.mjs', impl_path: 'a.mjs', test_output: runs.broken, session_id, model: MODELS.fallback } });
    expect(structured(refactor).advice_outcome).toEqual({ skill: 'tdd_green', model: MODELS.primary, expected: 'passed', seen: 'error', worked: false });

    const green2 = await client.callTool({ name: 'tdd_green', arguments: { project_root: ROOT, test_path: 'a.test.mjs', test_output: runs.passing, session_id } });
    expect(structured(green2).advice_outcome).toEqual({ skill: 'tdd_refactor', model: MODELS.fallback, expected: 'passed', seen: 'passed', worked: true });

    // the session log keeps each judgement in the entry of the call that brought the output
    const entries = await sup.sessionFiles!.recent(session_id);
    expect(entries.map((e) => [e.skill, e.advice_outcome?.worked ?? null])).toEqual([
      ['tdd_red', null],
      ['tdd_green', true],
      ['tdd_refactor', false],
      ['tdd_green', true],
    ]);

    // and a retrospective of the session reads how each step's advice turned out
    sup.llm.behave(MODELS.planner, { kind: 'answer', text: 'Lessons.' });
    await client.callTool({ name: 'retrospective', arguments: { session_id } });
    expect(sup.llm.requests.at(-1)!.messages[1]!.content).toContain(`Test run after the previous tdd_green (by ${MODELS.primary}): error, expected passed; that advice did not work`);

    const metrics = await metricsText();
    expect(metrics).toContain(`supervisor_advice_outcomes_total{skill="tdd_red",model="${MODELS.primary}",outcome="worked"} 1`);
    expect(metrics).toContain(`supervisor_advice_outcomes_total{skill="tdd_green",model="${MODELS.primary}",outcome="failed"} 1`);
    expect(metrics).toContain(`supervisor_advice_outcomes_total{skill="tdd_refactor",model="${MODELS.fallback}",outcome="worked"} 1`);
    const status = await statusText();
    expect(status).toContain("TDD advice that worked, as the next step's test_output showed (since the server started):");
    expect(status).toContain(`- tdd_red: ${MODELS.primary} 100% (1/1)`);
    expect(status).toContain(`- tdd_green: ${MODELS.primary} 0% (0/1)`);
  });

  it('an output that tells nothing, or no earlier step, judges nothing and counts nothing', async () => {
    const before = await metricsText();
    // a new connection: a new session, with no earlier step
    const fresh = await sup.connect();
    const first = await fresh.callTool({ name: 'tdd_green', arguments: { project_root: ROOT, test_path: 'a.test.mjs', test_output: runs.failing } });
    expect(structured(first).advice_outcome).toBeUndefined();
    const session_id = structured(first).session_id as string;
    const unclear = await fresh.callTool({ name: 'tdd_refactor', arguments: { project_root: ROOT, test_path: 'a.test.mjs', impl_path: 'a.mjs', test_output: 'Done in 0.3s.', session_id } });
    expect(structured(unclear).advice_outcome).toMatchObject({ skill: 'tdd_green', seen: 'unknown', worked: null });
    const counted = (text: string) => text.split('\n').filter((line) => line.startsWith('supervisor_advice_outcomes_total{')).join('\n');
    expect(counted(await metricsText())).toBe(counted(before));
  });
});
