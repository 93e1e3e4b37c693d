/**
 * `npm run conformance`: the official MCP conformance suite against this build's `supervisor serve`, in
 * both of the suite's lines (scripts/conformance/scenarios.ts, LINES): 0.1.16 for the 2025 era, and
 * 0.2.0-alpha.12 at the 2026-07-28 revision — the server serves both on POST /mcp.
 *
 * Installs each line's pinned suite and Node 22 into a cache folder on the first run (scripts/
 * conformance/toolchain.ts), starts the built server once, in a child process on a free loopback port,
 * with a temporary brain (one note in it, so resources/list and resources/read have something to show)
 * and sessions folder and a fake LiteLLM, asks each suite for its server scenarios, runs each one that
 * applies to this server (scenarios.ts says which, and why the others do not), prints one line per
 * scenario and a summary per line, and writes the results to dist/conformance/results.json (the
 * suite's own checks beside it, one folder per line and scenario).
 *
 * Exit code: 0 when every must-pass scenario passes and every known failure still fails, in every line
 * run; 1 otherwise; 2 when the lists and a suite disagree or a suite cannot run.
 *
 * `npm run conformance -- --line 0.2` runs one line; `npm run conformance -- NAME…` runs only the
 * scenarios named, in each line whose suite has them (a not-applicable one too, for information; its
 * result then does not decide the exit code).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startServerProcess } from '../../bench/server-process.js';
import { packageRoot } from '../../src/config.js';
import { describePrompt } from '../../src/dev/describe-prompt.js';
import { startFakeLiteLlm } from '../../src/dev/fake-litellm.js';
import { loadModels } from '../../src/llm/models.js';
import { expectationOf, LINES, listProblems, specVersionOf, type Expectation, type Line } from './scenarios.js';
import { ensureToolchain, type Toolchain } from './toolchain.js';

const run = promisify(execFile);
/** One scenario takes a second or two; one still running after this is stuck and counts as failed. */
const SCENARIO_TIMEOUT_MS = 120_000;
const RESULTS_DIR = fileURLToPath(new URL('../../conformance/', import.meta.url));
/** The note the brain starts with: brain://knowledge/conformance/sample.md. */
const SAMPLE_NOTE = { path: ['conformance', 'sample.md'], uri: 'brain://knowledge/conformance/sample.md' };
const SAMPLE_NOTE_TEXT = '---\ntitle: A sample note\n---\nA note for the conformance scenarios that list and read resources.\n';

type Status = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED' | string;
interface Check {
  id: string;
  status: Status;
  errorMessage?: string;
}
interface ScenarioResult {
  scenario: string;
  /** The spec version it ran at (`--spec-version`); null: the suite's default. */
  specVersion: string | null;
  expected: Expectation['kind'];
  /** skipped: not run, as not applicable; or run, and the suite itself skipped it. */
  outcome: 'passed' | 'failed' | 'skipped';
  /** Whether the outcome is the one expected (a not-applicable scenario always is). */
  asExpected: boolean;
  why?: string;
  checks?: Array<{ id: string; status: Status }>;
  /** Checks not counted, as they cannot apply to this server (scenarios.ts says why). */
  checksNotApplicable?: string[];
  failure?: string;
}
interface LineRun {
  line: Line;
  toolchain: Toolchain;
  scenarios: string[];
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The server scenarios of a suite, as `conformance list --server` prints them (`  - name [versions]`). */
async function suiteScenarios(toolchain: Toolchain): Promise<string[]> {
  const { stdout } = await run(toolchain.node, [toolchain.suite, 'list', '--server'], { timeout: 60_000 });
  const names = [...stdout.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1] as string);
  if (names.length === 0) throw new Error(`\`conformance list --server\` of the suite ${toolchain.suiteVersion} listed no scenario:\n${stdout}`);
  return names;
}

interface Outcome {
  passed: boolean;
  /** The suite ran nothing: the scenario does not apply at the spec version asked (it says so). */
  skippedBySuite?: string;
  checks: Check[];
  /** The ids of the checks not counted. */
  uncounted: string[];
  failure?: string;
}

/**
 * Runs one scenario and reads the checks the suite saved. The suite counts a scenario as failed when
 * any check is a FAILURE or a WARNING (its baseline logic); so does this, leaving out the checks
 * scenarios.ts marks not applicable.
 */
async function runScenario(
  toolchain: Toolchain,
  url: string,
  scenario: string,
  specVersion: string | null,
  outDir: string,
  notApplicableChecks: Readonly<Record<string, string>> = {},
): Promise<Outcome> {
  const dir = join(outDir, scenario);
  await mkdir(dir, { recursive: true });
  const args = [toolchain.suite, 'server', '--url', url, '--scenario', scenario, '--output-dir', dir];
  if (specVersion !== null) args.push('--spec-version', specVersion);
  let output: string;
  try {
    const { stdout, stderr } = await run(toolchain.node, args, { timeout: SCENARIO_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    output = stdout + stderr;
  } catch (error) {
    // The suite exits 1 when a check fails: the checks say which. Killed or crashed, there are none.
    const { stdout = '', stderr = '', killed } = error as { stdout?: string; stderr?: string; killed?: boolean };
    output = stdout + stderr;
    if (killed) return { passed: false, checks: [], uncounted: [], failure: `timed out after ${SCENARIO_TIMEOUT_MS / 1000} s` };
  }
  await writeFile(join(dir, 'output.txt'), output);
  const saved = (await readdir(dir, { withFileTypes: true })).find((entry) => entry.isDirectory());
  const checksFile = saved ? join(dir, saved.name, 'checks.json') : null;
  const text = checksFile ? await readFile(checksFile, 'utf8').catch(() => null) : null;
  if (text === null) {
    // The 0.2 line skips a scenario outside the spec version asked for, saving no checks, and says so.
    const skipped = output.match(/^SKIPPED: .*$/m)?.[0];
    if (skipped) return { passed: false, skippedBySuite: skipped, checks: [], uncounted: [], failure: skipped };
    return { passed: false, checks: [], uncounted: [], failure: `the suite saved no checks: ${lastLine(output)}` };
  }
  const checks = JSON.parse(text) as Check[];
  const counted = checks.filter((check) => notApplicableChecks[check.id] === undefined);
  const uncounted = [...new Set(checks.filter((check) => notApplicableChecks[check.id] !== undefined).map((check) => check.id))];
  const bad = counted.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING');
  const failure = bad.map((check) => `${check.id}: ${check.errorMessage ?? check.status}`).join('; ');
  return { passed: counted.length > 0 && bad.length === 0, checks, uncounted, ...(failure ? { failure } : {}) };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/**
 * The built server with its own temporary brain (one note in it) and sessions folder, and a fake
 * LiteLLM serving models.yaml's models; resolves once the note is listed.
 */
async function startServer() {
  const dir = await mkdtemp(join(tmpdir(), 'supervisor-conformance-'));
  const notes = join(dir, 'brain', 'knowledge', ...SAMPLE_NOTE.path.slice(0, -1));
  await mkdir(notes, { recursive: true });
  await writeFile(join(notes, SAMPLE_NOTE.path.at(-1) as string), SAMPLE_NOTE_TEXT);
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
  const stop = async () => {
    await server.stop();
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  };
  const problem = await untilNoteListed(server.url);
  // The scenarios then say what is wrong; the run goes on.
  if (problem) say(`warning: ${problem}`);
  return { url: server.url, stop };
}

/**
 * Waits until resources/list names the sample note (the brain indexes the folder it starts with in the
 * background), asking as a 2026-07-28 client; what went wrong when it is still not listed after 30 s.
 */
async function untilNoteListed(url: string): Promise<string | null> {
  const deadline = performance.now() + 30_000;
  let problem = `the server did not list ${SAMPLE_NOTE.uri} within 30 s`;
  while (performance.now() < deadline) {
    const client = new Client({ name: 'supervisor-conformance', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const { resources } = await client.listResources();
      if (resources.some((resource) => resource.uri === SAMPLE_NOTE.uri)) return null;
    } catch (error) {
      problem = `resources/list, to see the sample note listed, failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      await client.close().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return problem;
}

/** What a scenario's line says after its name: why it was skipped, or what failed and whether that was expected. */
function note(result: ScenarioResult): string {
  const failure = result.failure ? ` — ${result.failure}` : '';
  const uncounted = result.checksNotApplicable?.length ? `${result.checksNotApplicable.length} of its ${result.checks?.length ?? 0} checks not applicable (reference tools)` : '';
  if (result.outcome === 'skipped' && result.expected === 'not-applicable') return `not applicable: ${result.why}${result.failure ? ` (the suite: ${result.failure})` : ''}`;
  switch (result.expected) {
    case 'not-applicable':
      return `for information only, not applicable: ${result.why}${failure}`;
    case 'known-failure':
      return result.asExpected ? `known failure: ${result.why}${failure}` : 'PASSES NOW: move it from the known failures to the must-pass list in scripts/conformance/scenarios.ts';
    case 'must-pass':
      return result.failure ? `must pass: ${result.failure}` : uncounted;
  }
}

function line(result: ScenarioResult): string {
  const mark = { passed: 'pass', failed: 'FAIL', skipped: 'skip' }[result.outcome];
  const at = result.specVersion && result.specVersion !== '2026-07-28' ? ` @${result.specVersion}` : '';
  return `${mark}  ${(result.scenario + at).padEnd(44)}  ${note(result)}`.trimEnd();
}

/** Runs a line's scenarios (the chosen ones, or every one that applies) against the server. */
async function runLine({ line: ln, toolchain, scenarios }: LineRun, chosen: string[], url: string): Promise<ScenarioResult[]> {
  const checksDir = join(RESULTS_DIR, 'checks', ln.id);
  const results: ScenarioResult[] = [];
  // The scenarios run first, in the suite's order; those that do not apply are listed after them.
  const skippedLast = (name: string) => (chosen.length === 0 && expectationOf(name, ln.lists)?.kind === 'not-applicable' ? 1 : 0);
  const order = chosen.length > 0 ? chosen.filter((name) => scenarios.includes(name)) : [...scenarios].sort((a, b) => skippedLast(a) - skippedLast(b));
  for (const scenario of order) {
    const expectation = expectationOf(scenario, ln.lists) as Expectation;
    const why = expectation.kind === 'must-pass' ? undefined : expectation.why;
    const specVersion = specVersionOf(scenario, ln);
    let result: ScenarioResult;
    if (expectation.kind === 'not-applicable' && chosen.length === 0) {
      result = { scenario, specVersion, expected: expectation.kind, outcome: 'skipped', asExpected: true, why };
    } else {
      const exempt = expectation.kind === 'must-pass' ? expectation.checksNotApplicable : undefined;
      const outcome = await runScenario(toolchain, url, scenario, specVersion, checksDir, exempt);
      const passed = outcome.passed;
      const asExpected = expectation.kind === 'not-applicable' || (outcome.skippedBySuite === undefined && passed === (expectation.kind === 'must-pass'));
      result = {
        scenario,
        specVersion,
        expected: expectation.kind,
        outcome: outcome.skippedBySuite !== undefined ? 'skipped' : passed ? 'passed' : 'failed',
        asExpected,
        ...(why ? { why } : {}),
        checks: outcome.checks.map(({ id, status }) => ({ id, status })),
        ...(outcome.uncounted.length > 0 ? { checksNotApplicable: outcome.uncounted } : {}),
        ...(outcome.failure ? { failure: outcome.failure } : {}),
      };
    }
    results.push(result);
    say(line(result));
  }
  return results;
}

/** `--line ID` (or `--line=ID`) and scenario names, from the command line. */
function parseArguments(argv: string[]): { lines: readonly Line[]; chosen: string[] } {
  const chosen: string[] = [];
  let lineId: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--line') lineId = argv[++i];
    else if (arg.startsWith('--line=')) lineId = arg.slice('--line='.length);
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg} (the options: --line ${LINES.map((l) => l.id).join('|')}, then scenario names)`);
    else chosen.push(arg);
  }
  if (lineId === undefined) return { lines: LINES, chosen };
  const found = LINES.find((candidate) => candidate.id === lineId);
  if (!found) throw new Error(`no line ${lineId}: the lines are ${LINES.map((l) => l.id).join(' and ')}`);
  return { lines: [found], chosen };
}

function names(results: ScenarioResult[], test: (r: ScenarioResult) => boolean): string {
  const matching = results.filter(test).map((r) => r.scenario);
  return matching.length > 0 ? matching.join(', ') : '—';
}

async function main(): Promise<number> {
  const started = performance.now();
  const { lines, chosen } = parseArguments(process.argv.slice(2));
  const toolchains = await Promise.all(lines.map((ln) => ensureToolchain(ln.pinned, say)));
  const runs: LineRun[] = [];
  const problems: string[] = [];
  for (const [i, ln] of lines.entries()) {
    const toolchain = toolchains[i] as Toolchain;
    const installed = toolchain.installedMs === null ? 'cached' : `installed in ${(toolchain.installedMs / 1000).toFixed(1)} s`;
    say(`line ${ln.id}: MCP conformance suite ${toolchain.suiteVersion} on Node ${toolchain.nodeVersion} (${installed}: ${toolchain.dir})`);
    const scenarios = await suiteScenarios(toolchain);
    problems.push(...listProblems(scenarios, ln.lists).map((problem) => `line ${ln.id} (suite ${toolchain.suiteVersion}): ${problem}: place it in scripts/conformance/scenarios.ts`));
    runs.push({ line: ln, toolchain, scenarios });
  }
  for (const name of chosen) if (!runs.some((r) => r.scenarios.includes(name))) problems.push(`no suite run has a scenario ${name}`);
  if (problems.length > 0) {
    for (const problem of problems) say(`error: ${problem}`);
    return 2;
  }

  await rm(RESULTS_DIR, { recursive: true, force: true });
  const server = await startServer();
  say(`server under test: ${server.url} (this build's supervisor serve, temporary brain with one note, fake LiteLLM)`);
  const perLine: Array<{ run: LineRun; results: ScenarioResult[]; seconds: number }> = [];
  try {
    for (const lineRun of runs) {
      if (chosen.length > 0 && !chosen.some((name) => lineRun.scenarios.includes(name))) continue;
      say('');
      say(`line ${lineRun.line.id} — suite ${lineRun.toolchain.suiteVersion}, ${lineRun.line.wire}:`);
      const lineStarted = performance.now();
      const results = await runLine(lineRun, chosen, server.url);
      perLine.push({ run: lineRun, results, seconds: (performance.now() - lineStarted) / 1000 });
    }
  } finally {
    await server.stop();
  }

  await writeFile(
    join(RESULTS_DIR, 'results.json'),
    `${JSON.stringify(
      {
        server: 'supervisor serve',
        lines: perLine.map(({ run: r, results }) => ({ line: r.line.id, suite: r.toolchain.suiteVersion, node: r.toolchain.nodeVersion, specVersion: r.line.specVersion, results })),
      },
      null,
      2,
    )}\n`,
  );

  say('');
  say('summary:');
  let unexpectedAll: string[] = [];
  for (const { run: r, results, seconds } of perLine) {
    const count = (test: (x: ScenarioResult) => boolean) => results.filter(test).length;
    const passed = count((x) => x.outcome === 'passed');
    const failed = count((x) => x.outcome === 'failed');
    const expectedFailures = count((x) => x.outcome === 'failed' && x.expected === 'known-failure');
    const notApplicable = count((x) => x.outcome === 'skipped' && x.expected === 'not-applicable');
    const unexpected = results.filter((x) => !x.asExpected).map((x) => x.scenario);
    unexpectedAll = [...unexpectedAll, ...unexpected.map((name) => `${name} (line ${r.line.id})`)];
    say(
      `line ${r.line.id} (suite ${r.toolchain.suiteVersion}, ${r.line.specVersion ?? 'its default spec version'}): ${passed} scenarios passed, ${failed} failed ` +
        `(${expectedFailures} of them known failures), ${notApplicable} not applicable; ` +
        `${unexpected.length === 0 ? 'all as expected' : `NOT as expected: ${unexpected.join(', ')}`} (${seconds.toFixed(1)} s)`,
    );
    say(`  passed: ${names(results, (x) => x.outcome === 'passed')}`);
    say(`  failed: ${names(results, (x) => x.outcome === 'failed')}`);
    if (chosen.length === 0) say(`  not applicable: ${names(results, (x) => x.expected === 'not-applicable')}`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say(
    `conformance: ${unexpectedAll.length === 0 ? 'every line as expected' : `NOT as expected: ${unexpectedAll.join(', ')}`} ` +
      `(${seconds} s in all; results in ${join(RESULTS_DIR, 'results.json')})`,
  );
  return unexpectedAll.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`conformance: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
