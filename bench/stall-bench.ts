/**
 * Does the brain service's event loop stall with every note in one folder? `supervisor ingest` runs in
 * a child process over a flat brain (bench/corpus.ts, layout `flat`) while this process polls
 * GET /health every ~20 ms and reads the child's CPU time every ~10 ms, through:
 *
 * 1. the cold build: the index deleted, the service started, until GET /ready answers 200;
 * 2. the warm start: started again over that index, nothing changed, until ready;
 * 3. a periodic rescan with nothing changed: INGEST_RESCAN_SECONDS after the start. The rescan is
 *    found in the CPU samples (the service is otherwise idle): from the first 100 ms in which the child
 *    uses more than a third of a core to the next 300 ms in which it hardly uses any.
 *
 * `node dist/bench/stall-bench.js [sizes…] [--base <dist folder>] [--rounds n]` prints one JSON line
 * (bench/run.ts prints it as a table). `--base` names the dist/ folder of another build (e.g. the
 * last commit's, from a git worktree) to measure the same way, alternating with this build, so the
 * two compare on the same machine in the same minutes; a build without INGEST_RESCAN_SECONDS rescans
 * after its own fixed 60 s.
 */
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brainFor, Vocabulary } from './corpus.js';
import { JsonHttp } from './http-client.js';
import { sleep, summarize, type Latency } from './latency.js';
import * as thisBuild from './server-process.js';

/** The rescan period asked of this build: short, so the bench does not wait a minute. */
const RESCAN_SECONDS = 15;
/** A build that has no INGEST_RESCAN_SECONDS rescans every minute. */
const FIXED_RESCAN_SECONDS = 60;
const HEALTH_EVERY_MS = 20;
const CPU_EVERY_MS = 10;
/** A 100 ms window with more CPU than this starts the rescan; a 300 ms one with less than QUIET_CPU_MS ends it. */
const BUSY_CPU_MS = 33;
const QUIET_CPU_MS = 15;

export interface PhaseResult {
  /** From the spawn until GET /ready answered 200. */
  readyMs: number;
  health: Latency;
  polls: number;
  /** /health requests without a 200 answer while the service ran (a reset connection), rescan included. */
  failures: number;
}

export interface RescanResult {
  /** Wall time from the first busy window to the quiet that ends it; null if no rescan was seen. */
  ms: number | null;
  cpuMs: number | null;
  health: Latency;
  polls: number;
}

export interface StallRun {
  build: 'this' | 'base';
  notes: number;
  cold: PhaseResult;
  warm: PhaseResult;
  rescan: RescanResult;
}

export interface StallResult {
  runs: StallRun[];
  loadAverage: number[];
}

interface Build {
  name: 'this' | 'base';
  start: typeof thisBuild.startIngestProcess;
  rescanSeconds: number;
}

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const baseDist = flag('--base');
const rounds = Number(flag('--rounds') ?? 1);
const sizes = args.map(Number).filter((n) => n > 0);
if (sizes.length === 0) sizes.push(100_000);

async function builds(): Promise<Build[]> {
  const own: Build = { name: 'this', start: thisBuild.startIngestProcess, rescanSeconds: RESCAN_SECONDS };
  if (!baseDist) return [own];
  const module = (await import(pathToFileURL(resolve(baseDist, 'bench', 'server-process.js')).href)) as typeof thisBuild;
  return [{ name: 'base', start: module.startIngestProcess, rescanSeconds: FIXED_RESCAN_SECONDS }, own];
}

/** GET /health every ~20 ms and the child's CPU every ~10 ms, each sample with when it was taken. */
class Sampler {
  readonly health: Array<{ at: number; ms: number }> = [];
  readonly cpu: Array<{ at: number; ms: number }> = [];
  private stopped = false;
  private readonly running: Promise<unknown>;
  private readonly http: JsonHttp;

  /** /health requests that got no 200 answer (their time still counts). */
  failures = 0;

  constructor(url: string, pid: number, spawnedAt: number) {
    const http = (this.http = new JsonHttp(url));
    const healthLoop = (async () => {
      while (!this.stopped) {
        const at = performance.now();
        const answer = await http.timed('GET', '/health').catch((error: Error) => {
          process.stderr.write(`GET /health failed ${Math.round(at - spawnedAt)} ms after the start: ${error.message}\n`);
          return { status: 0, ms: performance.now() - at };
        });
        if (answer.status !== 200) this.failures++;
        this.health.push({ at, ms: answer.ms });
        await sleep(Math.max(0, HEALTH_EVERY_MS - answer.ms));
      }
    })();
    const cpuLoop = (async () => {
      while (!this.stopped) {
        const ms = thisBuild.processCpuMs(pid);
        if (ms === null) return;
        this.cpu.push({ at: performance.now(), ms });
        await sleep(CPU_EVERY_MS);
      }
    })();
    this.running = Promise.all([healthLoop, cpuLoop]);
  }

  /** /health's latencies of the requests in flight at some moment between `from` and `to`. */
  healthBetween(from: number, to = Infinity): Latency & { polls: number } {
    const samples = this.health.filter((s) => s.at + s.ms >= from && s.at <= to).map((s) => s.ms);
    return { ...summarize(samples), polls: samples.length };
  }

  /** The child's CPU time used in the `ms` before `at` (by the nearest samples). */
  cpuOver(at: number, ms: number): number {
    return this.cpuAt(at) - this.cpuAt(at - ms);
  }

  cpuAt(at: number): number {
    let value = this.cpu[0]?.ms ?? 0;
    for (const sample of this.cpu) {
      if (sample.at > at) break;
      value = sample.ms;
    }
    return value;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    this.http.close();
  }
}

async function untilReady(url: string): Promise<void> {
  const http = new JsonHttp(url);
  try {
    for (;;) {
      const answer = await http.get('/ready').catch(() => ({ status: 503, body: null })); // a reset connection: ask again
      if (answer.status === 200) return;
      if (answer.status !== 503) throw new Error(`GET /ready answered ${answer.status} ${JSON.stringify(answer.body)}`);
      await sleep(HEALTH_EVERY_MS);
    }
  } finally {
    http.close();
  }
}

/** Starts the build over `dir`, waits for ready; with `rescan`, goes on until the first rescan is over. */
async function phase(build: Build, dir: string, rescan: boolean): Promise<{ phase: PhaseResult; rescan?: RescanResult }> {
  const env = { INGEST_HOST: '127.0.0.1', INGEST_PORT: '0', INGEST_BRAIN_DIR: dir, INGEST_TOKEN: '', INGEST_RESCAN_SECONDS: String(build.rescanSeconds) };
  const server = await build.start(env);
  const sampler = new Sampler(server.url, server.pid, server.spawnedAt);
  try {
    await untilReady(server.url);
    const ready = performance.now();
    const { polls, ...health } = sampler.healthBetween(0, ready);
    const result: PhaseResult = { readyMs: Math.round(ready - server.spawnedAt), health, polls, failures: 0 };
    const scan = rescan ? await awaitRescan(sampler, server.spawnedAt + build.rescanSeconds * 1000) : undefined;
    result.failures = sampler.failures;
    return { phase: result, ...(scan ? { rescan: scan } : {}) };
  } finally {
    await sampler.stop();
    await server.stop();
  }
}

/** Waits for the rescan due at `due` (spawn + period; the timer starts a little later) and measures it. */
async function awaitRescan(sampler: Sampler, due: number): Promise<RescanResult> {
  const giveUp = due + 60_000;
  let started: number | null = null;
  for (;;) {
    await sleep(50);
    const now = performance.now();
    if (started === null) {
      if (now > giveUp) break;
      if (now >= due && sampler.cpuOver(now, 100) > BUSY_CPU_MS) started = now - 100;
    } else if (now - started > 400 && sampler.cpuOver(now, 300) < QUIET_CPU_MS) {
      const ended = now - 300;
      const { polls, ...health } = sampler.healthBetween(started, ended);
      return { ms: Math.round(ended - started), cpuMs: Math.round(sampler.cpuAt(ended) - sampler.cpuAt(started)), health, polls };
    }
  }
  const { polls, ...health } = sampler.healthBetween(due, performance.now());
  return { ms: null, cpuMs: null, health, polls };
}

async function run(build: Build, notes: number, dir: string): Promise<StallRun> {
  process.stderr.write(`stall bench: ${build.name} build, ${notes} notes in one folder…\n`);
  await rm(join(dir, '.index'), { recursive: true, force: true });
  const cold = (await phase(build, dir, false)).phase;
  const warm = await phase(build, dir, true);
  return { build: build.name, notes, cold, warm: warm.phase, rescan: warm.rescan as RescanResult };
}

const vocab = new Vocabulary();
const runs: StallRun[] = [];
const all = await builds();
for (const notes of sizes) {
  const { dir } = await brainFor(notes, vocab, 'zipf', 'flat');
  // Alternating which build goes first, so neither always meets the machine in the same mood.
  for (let round = 0; round < rounds; round++) {
    for (const build of round % 2 === 0 ? all : [...all].reverse()) runs.push(await run(build, notes, dir));
  }
}
console.log(JSON.stringify({ runs, loadAverage: loadavg().map((n) => Math.round(n * 100) / 100) } satisfies StallResult));
