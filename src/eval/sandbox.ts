/**
 * Runs model-written tests and code contained: each run gets a folder of its own under the system's
 * temporary folder, holding only the files given; Node's test runner runs there under Node's
 * permission model (it may read that folder and nothing else, write nothing, start no process, worker
 * or addon), with an empty environment (no secrets), a heap and an address-space limit, a CPU-time
 * limit, a wall-clock limit after which its whole process group is killed, and a cap on what it may
 * print. The network is not closed: run `supervisor eval` in a container or network namespace when
 * that matters (docs/eval.md).
 *
 * The test runner reports through a reporter of ours that writes one marked JSON line per test, so
 * a run tells an assertion that failed from a test that never ran (a syntax or import error).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';

export interface SandboxLimits {
  /** Wall-clock time, after which the run's process group is killed. */
  timeoutMs: number;
  /** V8 heap (--max-old-space-size). */
  heapMb: number;
  /** Address space of the process (ulimit -v): Buffers and everything else. */
  memoryMb: number;
  /** What stdout and stderr together may hold before the run is killed. */
  outputBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { timeoutMs: 15_000, heapMb: 256, memoryMb: 4096, outputBytes: 1024 * 1024 };

export interface TestResult {
  name: string;
  passed: boolean;
  /** Why a failed test failed: an assertion, or something else (a TypeError, a refused file read…). */
  failure?: { assertion: boolean; message: string };
}

export interface TestRun {
  /**
   * passed: every test passed (at least one ran). failed: at least one failed. crashed: no test ran
   * to its end (a syntax or import error, an exit before the tests). timeout / output_limit: killed.
   */
  outcome: 'passed' | 'failed' | 'crashed' | 'timeout' | 'output_limit';
  tests: TestResult[];
  exitCode: number | null;
  /** The end of what the run wrote to stderr, for the reason a crash gives. */
  stderr: string;
  durationMs: number;
}

/** A relative file name inside the sandbox, or an error naming it. */
function inside(root: string, name: string): string {
  const path = normalize(name);
  if (isAbsolute(path) || path === '..' || path.startsWith(`..${sep}`) || path.split(sep).some((part) => part.startsWith('.'))) {
    throw new Error(`sandbox file name "${name}" must be a relative path without hidden or parent parts`);
  }
  return join(root, path);
}

/**
 * Puts `files` (relative name → content) in a new folder and runs `entry` there with Node's test
 * runner, contained; the folder is removed afterwards, whatever happened.
 */
export async function runContained(files: Readonly<Record<string, string>>, entry: string, limits: SandboxLimits = DEFAULT_LIMITS): Promise<TestRun> {
  const root = await mkdtemp(join(tmpdir(), 'supervisor-eval-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = inside(root, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
    const mark = `@@eval-${randomBytes(8).toString('hex')}@@ `;
    await writeFile(join(root, REPORTER_FILE), reporterSource(mark));
    return await run(root, inside(root, entry), mark, limits);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const REPORTER_FILE = '.eval-reporter.mjs';

/** Node 22.13+ and 23.5+ spell the permission flag `--permission`; 20 knows only the experimental one. */
function permissionFlag(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13) ? '--permission' : '--experimental-permission';
}

function run(root: string, entryPath: string, mark: string, limits: SandboxLimits): Promise<TestRun> {
  const started = performance.now();
  const cpuSeconds = Math.ceil(limits.timeoutMs / 1000) + 1;
  // The shell sets the limits the kernel enforces, then becomes node. A limit the system refuses
  // (macOS has no address-space limit) is left to the heap limit and the clock.
  const limitsScript = `ulimit -v ${limits.memoryMb * 1024} 2>/dev/null; ulimit -t ${cpuSeconds} 2>/dev/null; ulimit -f 1024 2>/dev/null; ulimit -c 0 2>/dev/null; exec "$@"`;
  const args = [
    '-c',
    limitsScript,
    'sh',
    process.execPath,
    permissionFlag(),
    `--allow-fs-read=${root}`,
    `--max-old-space-size=${limits.heapMb}`,
    '--disable-warning=ExperimentalWarning',
    `--test-reporter=./${REPORTER_FILE}`,
    entryPath,
  ];
  const child = spawn('/bin/sh', args, {
    cwd: root,
    // Nothing of ours: no token, no API key, no NODE_OPTIONS that could lift a limit.
    env: { PATH: '/usr/bin:/bin', HOME: root, TMPDIR: root, LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let printed = 0;
    let killedFor: 'timeout' | 'output_limit' | null = null;
    const kill = (reason: 'timeout' | 'output_limit') => {
      if (killedFor) return;
      killedFor = reason;
      try {
        // The whole group: anything the test started goes with it.
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => kill('timeout'), limits.timeoutMs);
    const take = (chunk: Buffer, into: 'stdout' | 'stderr') => {
      printed += chunk.length;
      if (printed > limits.outputBytes) return kill('output_limit');
      if (into === 'stdout') stdout += chunk.toString('utf8');
      else stderr += chunk.toString('utf8');
    };
    child.stdout.on('data', (chunk: Buffer) => take(chunk, 'stdout'));
    child.stderr.on('data', (chunk: Buffer) => take(chunk, 'stderr'));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ outcome: 'crashed', tests: [], exitCode: null, stderr: error.message, durationMs: performance.now() - started });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const tests = reported(stdout, mark);
      const durationMs = performance.now() - started;
      const tail = stderr.slice(-4000);
      if (killedFor) return resolve({ outcome: killedFor, tests, exitCode: code, stderr: tail, durationMs });
      resolve({ outcome: outcomeOf(tests, code), tests, exitCode: code, stderr: tail, durationMs });
    });
  });
}

function outcomeOf(tests: TestResult[], exitCode: number | null): TestRun['outcome'] {
  if (tests.length === 0) return 'crashed';
  if (tests.some((test) => !test.passed)) return 'failed';
  // Every test that reported passed, but the process did not end well: an error outside the tests,
  // or an exit before the rest of them ran.
  return exitCode === 0 ? 'passed' : 'crashed';
}

interface ReportedLine {
  ok: boolean;
  name: string;
  suite: boolean;
  skipped: boolean;
  failureType: string | null;
  error: { name?: string; code?: string; message: string } | null;
}

/** The tests our reporter saw; suites (which fail when a test in them fails) and skipped tests are left out. */
function reported(stdout: string, mark: string): TestResult[] {
  const tests: TestResult[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(mark)) continue;
    let parsed: ReportedLine;
    try {
      parsed = JSON.parse(line.slice(mark.length)) as ReportedLine;
    } catch {
      continue;
    }
    if (parsed.suite || parsed.skipped) continue;
    if (parsed.ok) {
      tests.push({ name: parsed.name, passed: true });
      continue;
    }
    const assertion = parsed.error?.name === 'AssertionError' || parsed.error?.code === 'ERR_ASSERTION';
    tests.push({ name: parsed.name, passed: false, failure: { assertion, message: `${parsed.error?.name ?? parsed.failureType ?? 'Error'}: ${parsed.error?.message ?? ''}`.trim() } });
  }
  return tests;
}

/**
 * The reporter the test runner loads from the sandbox: one line per finished test, marked with a
 * mark made for this run, so what the tests print themselves is not read as a result.
 */
function reporterSource(mark: string): string {
  return `const MARK = ${JSON.stringify(mark)};
export default async function* reporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    const failure = data.details?.error;
    const cause = failure?.cause ?? failure;
    yield MARK + JSON.stringify({
      ok: event.type === 'test:pass',
      name: String(data.name).slice(0, 200),
      suite: data.details?.type === 'suite',
      skipped: Boolean(data.skip || data.todo),
      failureType: failure?.failureType ?? null,
      error: cause ? { name: typeof cause.name === 'string' ? cause.name : undefined, code: typeof cause.code === 'string' ? cause.code : undefined, message: String(cause.message ?? cause).slice(0, 500) } : null,
    }) + '\\n';
  }
}
`;
}

/** One line saying why a run did not pass, for the scoreboard's reasons. */
export function runSummary(run: TestRun): string {
  switch (run.outcome) {
    case 'passed':
      return `${run.tests.length} test(s) passed`;
    case 'timeout':
      return 'killed: still running at the time limit';
    case 'output_limit':
      return 'killed: printed more than the output limit';
    case 'crashed': {
      const error = /^(\w*Error)(?: \[\w+\])?: .*$/m.exec(run.stderr)?.[0] ?? run.stderr.trim().split('\n').at(-1) ?? '';
      return `no test ran to its end${error ? ` (${error.slice(0, 200)})` : ''}`;
    }
    case 'failed': {
      const failed = run.tests.filter((test) => !test.passed);
      return `${failed.length} of ${run.tests.length} test(s) failed: ${failed[0]?.name}: ${failed[0]?.failure?.message.split('\n')[0]?.slice(0, 200)}`;
    }
  }
}
