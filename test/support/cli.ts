/**
 * The built command line, dist/src/cli.js (what `supervisor` runs; test/support/build.ts builds it
 * once per test run), in real child processes pointed at the tests' own config.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join, resolve } from 'node:path';
import { FIXTURE_ENV } from './fixture-config.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const CLI = join(REPO, 'dist', 'src', 'cli.js');

/** node's arguments for `supervisor <args>`: absolute, so the command runs from any working directory. */
export const cliArgs = (...args: string[]): string[] => [CLI, ...args];

/** The environment a command gets: the tests' own, the fixture config (unless `shipped`), then `env`. */
export const cliEnv = (env: Record<string, string> = {}, shipped = false): Record<string, string> => ({
  ...(process.env as Record<string, string>),
  ...(shipped ? {} : FIXTURE_ENV),
  ...env,
});

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** Sends `signal` (SIGTERM) and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** Whatever a test left running is killed after it (see setup.ts). */
const running = new Set<ChildProcessWithoutNullStreams>();
export function killLeftoverProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

interface Options {
  cwd?: string;
  /** A command still running after this long is killed, so a hang fails its test instead of stalling the run. */
  killAfterMs?: number;
  /** Run on the shipped config/ (its defaults) instead of the tests' fixtures: test/shipped-config.test.ts only. */
  shippedConfig?: boolean;
}

/** Starts `supervisor <args>` with `env` added; stdin is a pipe the caller may close. */
export function spawnCli(args: string[], env: Record<string, string> = {}, options: Options = {}): RunningCli {
  const child = spawn(process.execPath, cliArgs(...args), { cwd: options.cwd ?? REPO, env: cliEnv(env, options.shippedConfig), stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
  const exited = new Promise<Exit>((done) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      done({ code, stdout, stderr });
    }),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop: (signal = 'SIGTERM') => (child.kill(signal), exited),
  };
}

/** Runs `supervisor <args>` to its exit. Its stdin is closed: a command that waits for a client stops. */
export function runCli(args: string[], env: Record<string, string> = {}, options: Options = {}): Promise<Exit> {
  const run = spawnCli(args, env, options);
  run.child.stdin.end();
  return run.exited;
}

/** Starts `supervisor <args>` and resolves once its stdout matches `ready`; rejects if it exits first. */
export async function startCli(args: string[], env: Record<string, string>, ready: RegExp, options: Options = {}): Promise<RunningCli> {
  const run = spawnCli(args, env, options);
  await new Promise<void>((resolveReady, reject) => {
    const check = () => {
      if (ready.test(run.stdout())) resolveReady();
    };
    run.child.stdout.on('data', check);
    void run.exited.then((exit) => reject(new Error(`supervisor ${args.join(' ')} exited (${exit.code}) before ${ready}: ${exit.stderr}${exit.stdout}`)));
  });
  return run;
}
