/**
 * `npm run conformance`: the official MCP conformance suite against this build's `supervisor serve`.
 *
 * Installs the pinned suite and Node 22 into a cache folder on the first run (scripts/conformance/
 * toolchain.ts), starts the built server in a child process on a free loopback port, with a temporary
 * brain and sessions folder and a fake LiteLLM, asks the suite for its server scenarios, runs each
 * one that applies to this server (scripts/conformance/scenarios.ts says which, and why the others do
 * not), prints one line per scenario and a summary, and writes the results to
 * dist/conformance/results.json (the suite's own checks beside it, one folder per scenario).
 *
 * Exit code: 0 when every must-pass scenario passes and every known failure still fails; 1 otherwise;
 * 2 when the lists and the suite disagree or the suite cannot run.
 *
 * `npm run conformance -- NAME…` runs only the scenarios named (a not-applicable one too, for
 * information; its result then does not decide the exit code).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServerProcess } from '../../bench/server-process.js';
import { packageRoot } from '../../src/config.js';
import { describePrompt } from '../../src/dev/describe-prompt.js';
import { startFakeLiteLlm } from '../../src/dev/fake-litellm.js';
import { loadModels } from '../../src/llm/models.js';
import { expectationOf, listProblems, type Expectation } from './scenarios.js';
import { ensureToolchain, type Toolchain } from './toolchain.js';

const run = promisify(execFile);
/** One scenario takes a second or two; one still running after this is stuck and counts as failed. */
const SCENARIO_TIMEOUT_MS = 120_000;
const RESULTS_DIR = fileURLToPath(new URL('../../conformance/', import.meta.url));

type Status = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
interface Check {
  id: string;
  status: Status;
  errorMessage?: string;
}
interface ScenarioResult {
  scenario: string;
  expected: Expectation['kind'];
  outcome: 'passed' | 'failed' | 'skipped';
  /** Whether the outcome is the one expected (a skipped scenario always is). */
  asExpected: boolean;
  why?: string;
  checks?: Array<{ id: string; status: Status }>;
  failure?: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The server scenarios of the pinned suite, as `conformance list --server` prints them (`  - name [versions]`). */
async function suiteScenarios(toolchain: Toolchain): Promise<string[]> {
  const { stdout } = await run(toolchain.node, [toolchain.suite, 'list', '--server'], { timeout: 60_000 });
  const names = [...stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1] as string);
  if (names.length === 0) throw new Error(`\`conformance list --server\` listed no scenario:\n${stdout}`);
  return names;
}

/**
 * Runs one scenario and reads the checks the suite saved. The suite counts a scenario as failed when
 * any check is a FAILURE or a WARNING (its baseline logic); so does this.
 */
async function runScenario(toolchain: Toolchain, url: string, scenario: string, outDir: string): Promise<{ passed: boolean; checks: Check[]; failure?: string }> {
  const dir = join(outDir, scenario);
  await mkdir(dir, { recursive: true });
  const args = [toolchain.suite, 'server', '--url', url, '--scenario', scenario, '--output-dir', dir];
  let output: string;
  try {
    const { stdout, stderr } = await run(toolchain.node, args, { timeout: SCENARIO_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    output = stdout + stderr;
  } catch (error) {
    // The suite exits 1 when a check fails: the checks say which. Killed or crashed, there are none.
    const { stdout = '', stderr = '', killed } = error as { stdout?: string; stderr?: string; killed?: boolean };
    output = stdout + stderr;
    if (killed) return { passed: false, checks: [], failure: `timed out after ${SCENARIO_TIMEOUT_MS / 1000} s` };
  }
  await writeFile(join(dir, 'output.txt'), output);
  const saved = (await readdir(dir, { withFileTypes: true })).find((entry) => entry.isDirectory());
  if (!saved) return { passed: false, checks: [], failure: `the suite saved no checks: ${lastLine(output)}` };
  const checks = JSON.parse(await readFile(join(dir, saved.name, 'checks.json'), 'utf8')) as Check[];
  const bad = checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING');
  const failure = bad.map((check) => `${check.id}: ${check.errorMessage ?? check.status}`).join('; ');
  return { passed: checks.length > 0 && bad.length === 0, checks, ...(failure ? { failure } : {}) };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/** The built server with its own temporary brain and sessions folder, and a fake LiteLLM serving models.yaml's models. */
async function startServer() {
  const dir = await mkdtemp(join(tmpdir(), 'supervisor-conformance-'));
  const catalogue = (await loadModels(join(packageRoot(), 'config', 'models.yaml'))).allModels();
  const llm = await startFakeLiteLlm({ catalogue, answer: { kind: 'answer', text: describePrompt } });
  const server = await startServerProcess({
    SUPERVISOR_HOST: '127.0.0.1',
    SUPERVISOR_PORT: '0',
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: '0',
    SUPERVISOR_BRAIN_DIR: join(dir, 'brain'),
    SUPERVISOR_SESSIONS_DIR: join(dir, 'sessions'),
    LITELLM_BASE_URL: llm.url,
    // Settings of the caller's shell that would change what is measured (empty counts as unset): a
    // token would stop every scenario at the door (the suite sends none), extra allowed hosts would
    // weaken the DNS-rebinding check, a separate brain service is not this server's default.
    SUPERVISOR_TOKEN: '',
    SUPERVISOR_ALLOWED_HOSTS: '',
    INGEST_BASE_URL: '',
  });
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      await llm.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What a scenario's line says after its name: why it was skipped, or what failed and whether that was expected. */
function note(result: ScenarioResult): string {
  const failure = result.failure ? ` — ${result.failure}` : '';
  if (result.outcome === 'skipped') return `not applicable: ${result.why}`;
  switch (result.expected) {
    case 'not-applicable':
      return `for information only, not applicable: ${result.why}${failure}`;
    case 'known-failure':
      return result.asExpected ? `known failure: ${result.why}${failure}` : 'PASSES NOW: move it from KNOWN_FAILURES to MUST_PASS in scripts/conformance/scenarios.ts';
    case 'must-pass':
      return result.failure ? `must pass: ${result.failure}` : '';
  }
}

function line(result: ScenarioResult): string {
  const mark = { passed: 'pass', failed: 'FAIL', skipped: 'skip' }[result.outcome];
  return `${mark}  ${result.scenario.padEnd(30)}  ${note(result)}`.trimEnd();
}

async function main(): Promise<number> {
  const chosen = process.argv.slice(2);
  const toolchain = await ensureToolchain(say);
  const installed = toolchain.installedMs === null ? 'cached' : `installed in ${(toolchain.installedMs / 1000).toFixed(1)} s`;
  say(`MCP conformance suite ${toolchain.suiteVersion} on Node ${toolchain.nodeVersion} (${installed}: ${toolchain.dir})`);

  const scenarios = await suiteScenarios(toolchain);
  const problems = [
    ...listProblems(scenarios).map((problem) => `${problem}: place it in scripts/conformance/scenarios.ts`),
    ...chosen.filter((name) => !scenarios.includes(name)).map((name) => `the suite has no scenario ${name}`),
  ];
  if (problems.length > 0) {
    for (const problem of problems) say(`error: ${problem}`);
    return 2;
  }

  await rm(RESULTS_DIR, { recursive: true, force: true });
  const checksDir = join(RESULTS_DIR, 'checks');
  const server = await startServer();
  say(`server under test: ${server.url} (this build's supervisor serve, temporary brain, fake LiteLLM)`);
  const started = performance.now();
  const results: ScenarioResult[] = [];
  try {
    // The scenarios run first, in the suite's order; those that do not apply are listed after them.
    const skippedLast = (name: string) => (chosen.length === 0 && expectationOf(name)?.kind === 'not-applicable' ? 1 : 0);
    const order = chosen.length > 0 ? chosen : [...scenarios].sort((a, b) => skippedLast(a) - skippedLast(b));
    for (const scenario of order) {
      const expectation = expectationOf(scenario) as Expectation;
      const why = expectation.kind === 'must-pass' ? undefined : expectation.why;
      let result: ScenarioResult;
      if (expectation.kind === 'not-applicable' && chosen.length === 0) {
        result = { scenario, expected: expectation.kind, outcome: 'skipped', asExpected: true, why };
      } else {
        const { passed, checks, failure } = await runScenario(toolchain, server.url, scenario, checksDir);
        const asExpected = expectation.kind === 'not-applicable' || passed === (expectation.kind === 'must-pass');
        result = {
          scenario,
          expected: expectation.kind,
          outcome: passed ? 'passed' : 'failed',
          asExpected,
          ...(why ? { why } : {}),
          checks: checks.map(({ id, status }) => ({ id, status })),
          ...(failure ? { failure } : {}),
        };
      }
      results.push(result);
      say(line(result));
    }
  } finally {
    await server.stop();
  }

  const count = (test: (r: ScenarioResult) => boolean) => results.filter(test).length;
  const passed = count((r) => r.outcome === 'passed');
  const failed = count((r) => r.outcome === 'failed');
  const expectedFailures = count((r) => r.outcome === 'failed' && r.expected === 'known-failure');
  const skipped = count((r) => r.outcome === 'skipped');
  const unexpected = results.filter((r) => !r.asExpected);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  await writeFile(
    join(RESULTS_DIR, 'results.json'),
    `${JSON.stringify({ suite: toolchain.suiteVersion, node: toolchain.nodeVersion, server: 'supervisor serve', results }, null, 2)}\n`,
  );
  say(
    `conformance: ${passed} scenarios passed, ${failed} failed (${expectedFailures} of them known failures), ${skipped} not applicable; ` +
      `${unexpected.length === 0 ? 'all as expected' : `NOT as expected: ${unexpected.map((r) => r.scenario).join(', ')}`} ` +
      `(${seconds} s; results in ${join(RESULTS_DIR, 'results.json')})`,
  );
  return unexpected.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`conformance: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
