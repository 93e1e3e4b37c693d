/**
 * `supervisor eval` as a user runs it (the built command line) against a scripted fake LiteLLM: the
 * scoreboard equals the script case by case; a model that fails, answers with code that does not
 * compile or with hostile code costs its cases, never the run; the scoreboard is kept and `status`
 * shows it; --suggest-chains prints a diff of models.yaml and changes nothing.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeLiteLlm } from '../src/dev/fake-litellm.js';
import { loadCases, type EvalCase } from '../src/eval/cases.js';
import type { Scoreboard } from '../src/eval/scoreboard.js';
import { REPO, runCli } from './support/cli.js';
import { scriptedAnswer, type Scripted } from './support/eval-script.js';
import { startTestFake, startTestSupervisor } from './support/supervisor.js';

const SHIPPED = join(REPO, 'eval', 'cases');
const cases = await loadCases(SHIPPED);

/** m/mixed answers right for every other case (by id, so the script is known before the run). */
const mixedRight = (c: EvalCase) => cases.indexOf(c) % 2 === 0;
/** m/odd answers right exactly where m/mixed does not: a panel of the two knows every answer. */
const script = (model: string, c: EvalCase): Scripted =>
  model === 'm/good' || (model === 'm/mixed' && mixedRight(c)) || (model === 'm/odd' && !mixedRight(c)) ? 'right' : 'wrong';

const HOSTILE = ['m/loop', 'm/fork', 'm/ssh', 'm/print', 'm/disk', 'm/syntax'];
/** What the fake LiteLLM serves (m/missing is not among them). */
const MODELS = ['m/good', 'm/mixed', 'm/odd', 'm/bad', 'm/down', ...HOSTILE];

let llm: FakeLiteLlm;
let work: string;
let env: Record<string, string>;

beforeAll(async () => {
  llm = await startTestFake({ catalogue: [...MODELS], answer: { kind: 'answer', text: scriptedAnswer(cases, script) } });
  work = await mkdtemp(join(tmpdir(), 'supervisor-eval-test-'));
  const modelsFile = join(work, 'models.yaml');
  await writeFile(modelsFile, '# the eval tests\' models\ndefault_chain: [m/mixed, m/good]\nskills:\n  review:\n    chain: [m/mixed]\n');
  env = {
    LITELLM_BASE_URL: llm.url,
    SUPERVISOR_MODELS_FILE: modelsFile,
    SUPERVISOR_CONFIG_DIR: join(REPO, 'config', 'supervisor'),
    SUPERVISOR_EVAL_DIR: join(work, 'eval'),
    SUPERVISOR_MODEL_TIMEOUT_SECONDS: '10',
  };
});

afterAll(async () => {
  await llm.close();
  await rm(work, { recursive: true, force: true });
});

const evalCli = (args: string[], extra: Record<string, string> = {}) => runCli(['eval', ...args], { ...env, ...extra }, { killAfterMs: 170_000 });

describe('the shipped suite against a scripted model', () => {
  let board: Scoreboard;
  let stderr: string;

  beforeAll(async () => {
    const run = await evalCli(['--models', 'm/good,m/mixed', '--json', '--concurrency', '4', '--report', join(work, 'report.md')]);
    expect(run.code, run.stderr).toBe(0);
    board = JSON.parse(run.stdout) as Scoreboard;
    stderr = run.stderr;
  }, 180_000);

  it('scores every case as the script answered it, case by case', () => {
    const expected = ['m/good', 'm/mixed'].flatMap((model) => cases.map((c) => ({ case: c.id, model, passed: script(model, c) === 'right' })));
    const got = board.results.map((r) => ({ case: r.case, model: r.model, passed: r.passed }));
    expect(got.sort((a, b) => `${a.model}${a.case}`.localeCompare(`${b.model}${b.case}`))).toEqual(expected.sort((a, b) => `${a.model}${a.case}`.localeCompare(`${b.model}${b.case}`)));
    for (const result of board.results) expect(result.answered, result.case).toBe(true);
  });

  it('sums them per model and skill: passed, failed, rate and its interval', () => {
    for (const score of board.scores) {
      const mine = cases.filter((c) => c.skill === score.skill);
      const passed = mine.filter((c) => script(score.model, c) === 'right').length;
      expect(score, `${score.model} ${score.skill}`).toMatchObject({ passed, failed: mine.length - passed, total: mine.length, rate: passed / mine.length });
      expect(score.interval[0]).toBeLessThanOrEqual(score.rate);
      expect(score.interval[1]).toBeGreaterThanOrEqual(score.rate);
      expect(score.latency_ms?.p50).toBeGreaterThan(0);
      expect(score.tokens).toBeGreaterThan(0);
    }
    expect(board.scores).toHaveLength(2 * new Set(cases.map((c) => c.skill)).size);
  });

  it('shows progress with the case and the model on stderr, and writes the markdown report', async () => {
    expect(stderr).toMatch(/\[1\/\d+\] (pass|FAIL) \S+ with m\/(good|mixed)/);
    const report = await readFile(join(work, 'report.md'), 'utf8');
    expect(report).toMatch(/^# supervisor eval, /);
    expect(report).toMatch(/\| m\/good \| tdd_red \| 5\/5 \| 100% \|/);
    const failed = board.results.filter((r) => !r.passed);
    expect(report).toContain(`## Failed cases (${failed.length})`);
    expect(report).toContain(`\`${failed[0]!.case}\` with \`m/mixed\`: ${failed[0]!.reason}`);
  });

  it('keeps the scoreboard, and status shows the latest with its date', async () => {
    const kept = (await readdir(join(work, 'eval'))).filter((name) => name.endsWith('.json'));
    expect(kept.length).toBeGreaterThan(0);
    const sup = await startTestSupervisor({ SUPERVISOR_EVAL_DIR: join(work, 'eval') });
    try {
      const client = await sup.connect();
      const status = await client.callTool({ name: 'status', arguments: {} });
      const text = (status.content as Array<{ text: string }>)[0]!.text;
      expect(text).toContain(`Scoreboard of ${board.date.slice(0, 16).replace('T', ' ')} UTC`);
      expect(text).toMatch(/- tdd_red: m\/good 100% \(5\/5\), m\/mixed \d+% \(\d\/5\)/);
      const structured = status.structuredContent as { eval: { date: string; scores: unknown[] } };
      expect(structured.eval.date).toBe(board.date);
      expect(structured.eval.scores).toHaveLength(board.scores.length);
    } finally {
      await sup.stop();
    }
  });
});

describe('faults and hostile answers', () => {
  let own: string;

  beforeAll(async () => {
    // A team's own folder: the shipped tdd_red case, copied.
    own = join(work, 'own-cases');
    await cp(join(SHIPPED, 'tdd_red', 'slugify-collapses-dashes'), join(own, 'tdd_red', 'slugify'), { recursive: true });
  });

  it('a model that fails every call fails its cases, and the run goes on to the next model', async () => {
    llm.behave('m/down', { kind: 'status', status: 500, message: 'the GPU fell over' });
    const run = await evalCli(['--models', 'm/down,m/good', '--skills', 'debug', '--json', '--no-save']);
    expect(run.code, run.stderr).toBe(0);
    const board = JSON.parse(run.stdout) as Scoreboard;
    const down = board.results.filter((r) => r.model === 'm/down');
    expect(down.length).toBeGreaterThan(0);
    for (const result of down) expect(result).toMatchObject({ passed: false, answered: false, reason: expect.stringMatching(/^no answer: .*GPU fell over/) });
    expect(board.scores.find((s) => s.model === 'm/good')).toMatchObject({ rate: 1 });
  });

  it('contains hostile tests and scores each as a failure: a loop, a fork, ~/.ssh, 1 GB of output, a full disk, a syntax error', async () => {
    const test = (body: string) => ({ text: `\`\`\`js\nimport { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport fs from 'node:fs';\nimport cp from 'node:child_process';\nimport { slugify } from './slugify.mjs';\ntest('x', () => { ${body} });\n\`\`\`` });
    const hostile: Record<string, Scripted> = {
      'm/loop': test('for (;;) {}'),
      'm/fork': test("cp.spawn('sh', ['-c', 'sleep 600'], { detached: true }); assert.equal(slugify('a  b'), 'a-b');"),
      'm/ssh': test("fs.readdirSync('/root/.ssh'); assert.equal(slugify('a  b'), 'a-b');"),
      'm/print': test("for (let i = 0; i < 1e6; i++) console.log('x'.repeat(1000));"),
      'm/disk': test("fs.writeFileSync('/tmp/supervisor-eval-fill', Buffer.alloc(1e9)); assert.equal(slugify('a  b'), 'a-b');"),
      'm/syntax': { text: '```js\nimport { test } from "node:test";\ntest("x", () => { assert.equal(slugify("a  b") ) ) });\n```' },
    };
    const ownCases = await loadCases(own);
    for (const model of Object.keys(hostile)) llm.behave(model, { kind: 'answer', text: scriptedAnswer(ownCases, (m) => hostile[m]!) });
    const run = await evalCli(['--no-builtin', '--cases', own, '--models', Object.keys(hostile).join(','), '--json', '--no-save', '--test-timeout', '3', '--concurrency', '3']);
    expect(run.code, run.stderr).toBe(0);
    const board = JSON.parse(run.stdout) as Scoreboard;
    const reasons = Object.fromEntries(board.results.map((r) => [r.model, r]));
    for (const model of Object.keys(hostile)) expect(reasons[model], model).toMatchObject({ passed: false, answered: true });
    expect(reasons['m/loop']!.reason).toMatch(/killed: still running at the time limit/);
    expect(reasons['m/fork']!.reason).toMatch(/not by an assertion.*restricted/);
    expect(reasons['m/ssh']!.reason).toMatch(/not by an assertion/);
    expect(reasons['m/disk']!.reason).toMatch(/not by an assertion.*restricted/);
    expect(reasons['m/print']!.reason).toMatch(/killed|no test ran/);
    expect(reasons['m/syntax']!.reason).toMatch(/SyntaxError/);
    await expect(readFile('/tmp/supervisor-eval-fill')).rejects.toThrow(/ENOENT/);
  }, 120_000);
});

describe('--panel', () => {
  const PANEL_CASES = cases.filter((c) => c.skill === 'review' || c.skill === 'debug');
  let board: Scoreboard;
  let table: string;
  let report: string;

  beforeAll(async () => {
    // Both panels and the single models, once as JSON and once as the table (the script is the same).
    const args = ['--models', 'm/mixed,m/odd', '--panel', 'm/mixed,m/odd', '--panel', 'm/bad, m/good', '--skills', 'review,debug,spec', '--concurrency', '4', '--no-save'];
    const [json, plain] = await Promise.all([evalCli([...args, '--json', '--report', join(work, 'panel.md')]), evalCli(args)]);
    expect(json.code, json.stderr).toBe(0);
    expect(plain.code, plain.stderr).toBe(0);
    board = JSON.parse(json.stdout) as Scoreboard;
    table = plain.stdout;
    report = await readFile(join(work, 'panel.md'), 'utf8');
  }, 180_000);

  it('runs each panel on the review and debug cases only, and scores it as the script says: right when any member was', () => {
    for (const [label, members] of [['panel(m/mixed+m/odd)', ['m/mixed', 'm/odd']], ['panel(m/bad+m/good)', ['m/bad', 'm/good']]] as const) {
      const runs = board.results.filter((r) => r.model === label);
      expect(runs.map((r) => r.case).sort()).toEqual(PANEL_CASES.map((c) => c.id).sort());
      for (const run of runs) {
        const c = cases.find((k) => k.id === run.case)!;
        expect(run.passed, `${label} ${run.case}: ${run.reason}`).toBe(members.some((model) => script(model, c) === 'right'));
      }
    }
    expect(board.scores.filter((s) => s.model.startsWith('panel(')).map((s) => `${s.model} ${s.skill}`).sort()).toEqual(
      ['panel(m/bad+m/good) debug', 'panel(m/bad+m/good) review', 'panel(m/mixed+m/odd) debug', 'panel(m/mixed+m/odd) review'],
    );
  });

  it('compares each panel with the best single model on the same cases: rate, interval and latency p50', () => {
    const single = (model: string) => PANEL_CASES.filter((c) => script(model, c) === 'right').length;
    const best = single('m/mixed') >= single('m/odd') ? 'm/mixed' : 'm/odd';
    const [complementary, withGood] = board.panels!;
    expect(complementary).toMatchObject({
      panel: { model: 'panel(m/mixed+m/odd)', models: ['m/mixed', 'm/odd'], passed: PANEL_CASES.length, total: PANEL_CASES.length, rate: 1 },
      skills: ['review', 'debug'],
      best: { passed: single(best), total: PANEL_CASES.length },
      verdict: 'better',
    });
    // m/mixed and m/odd may pass as many; then the faster is the one compared with.
    if (single('m/mixed') !== single('m/odd')) expect(complementary!.best!.model).toBe(best);
    expect(complementary!.latency_ratio).toBeCloseTo(complementary!.panel.latency_p50_ms! / complementary!.best!.latency_p50_ms!, 1);
    // m/good was not scored alone: the panel with it is compared with the singles that were.
    expect(withGood).toMatchObject({ panel: { rate: 1 }, verdict: 'better' });
    expect(table).toMatch(/^panel\(m\/mixed\+m\/odd\) on review, debug: 10\/10 \(100%, p50 [\d.]+ s\) against the best single model, m\/(mixed|odd): \d+\/10 \(\d+%, p50 [\d.]+ s\): better.*, at [\d.]+× its latency$/m);
    expect(table).toMatch(/^panel\(m\/mixed\+m\/odd\)\s+review\s+5\/5\s+100%/m);
    expect(report).toContain('## Panels against the best single model\n\n- panel(m/mixed+m/odd) on review, debug: 10/10 (100%');
  });

  it('leaves panels out of --suggest-chains: a chain names models', async () => {
    const run = await evalCli(['--models', 'm/mixed', '--panel', 'm/mixed,m/good', '--skills', 'debug', '--suggest-chains', '--no-save']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^# debug: m\/mixed \d+%/m);
    expect(run.stdout).not.toMatch(/^# .*panel\(/m);
  });

  it.each([
    [['--panel', 'm/good'], /--panel m\/good names 1 different model\(s\); a panel has 2–5/],
    [['--panel', 'm/good,m/good'], /names 1 different model/],
    [['--panel', 'm/good,m/missing'], /does not serve m\/missing/],
    [['--panel', 'm/good,m/bad', '--skills', 'tdd_red'], /--panel runs the review and debug cases, and --skills \/ --case leave none/],
  ])('%j is refused with exit 2 before any model is asked', async (args, message) => {
    const run = await evalCli(['--models', 'm/good', ...(args as string[])]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('--suggest-chains', () => {
  it('prints the chains the scores support as a diff of models.yaml, and leaves the file alone', async () => {
    const before = await readFile(env.SUPERVISOR_MODELS_FILE!, 'utf8');
    // m/bad never passes: it is left out; m/mixed, in the chain now but not scored, stays behind as a fallback.
    const run = await evalCli(['--models', 'm/bad,m/good', '--skills', 'review', '--suggest-chains', '--no-save']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^# review: m\/good 100% \(p50 [\d.]+ s\)$/m);
    expect(run.stdout).toContain('--- a/models.yaml\n+++ b/models.yaml\n');
    expect(run.stdout).toContain('-    chain: [m/mixed]\n+    chain: [m/good, m/mixed]');
    expect(await readFile(env.SUPERVISOR_MODELS_FILE!, 'utf8')).toBe(before);
  });
});

describe('bad input', () => {
  it.each([
    [['--repeat', '0'], /--repeat must be a whole number from 1 to 20/],
    [['--skills', 'tdd_blue'], /--skills names tdd_blue, which is not among tdd_red/],
    [['--modles', 'x'], /Unknown option '--modles'/],
    [['--cases', '/nonexistent/cases'], /--cases \/nonexistent\/cases: no such folder/],
    [['--models', 'm/missing'], /does not serve m\/missing/],
  ])('%j is refused with exit 2 and a line naming the problem', async (args, message) => {
    const run = await evalCli(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('a case that cannot be used is refused before any model is asked, naming its folder and the problem (exit 2)', async () => {
    const bad = join(work, 'bad-cases', 'spec', 'broken');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'case.yaml'), '\uFEFFskill: spec\r\ntitle: t\r\narguments: {requirements: x}\r\ncheck:\r\n  must: {a: "[unclosed"}\r\n');
    const run = await evalCli(['--no-builtin', '--cases', join(work, 'bad-cases'), '--models', 'm/good']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/case .*bad-cases\/spec\/broken: case\.yaml: check\.must\.a\.0 is not a valid regular expression/);
    await writeFile(join(bad, 'case.yaml'), 'skill: spec\ntitle: t\narguments: {requirements: x}\ncheck: {must: {a: x}}\n');
    await mkdir(join(bad, 'given'));
    await symlink('/etc/passwd', join(bad, 'given', 'passwd.mjs'));
    const linked = await evalCli(['--no-builtin', '--cases', join(work, 'bad-cases'), '--models', 'm/good']);
    expect(linked.code).toBe(2);
    expect(linked.stderr).toMatch(/passwd\.mjs is not a regular file/);
  });

  it('a LiteLLM that is down stops the run at once with exit 1, saying where it looked', async () => {
    const run = await evalCli(['--models', 'm/good'], { LITELLM_BASE_URL: 'http://127.0.0.1:9' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/LiteLLM at http:\/\/127\.0\.0\.1:9 is not reachable .*set LITELLM_BASE_URL/);
  });
});
