/**
 * Does the brain service's event loop stall with every note in one folder? `supervisor ingest` runs in
 * a child process over a flat brain (bench/corpus.ts, layout `flat`) while this process polls
 * GET /health every ~20 ms and reads the child's CPU time every ~10 ms, through:
 *
 * 1. the cold build: the index deleted, the service started, until GET /ready answers 200;
 * 2. the warm start: started again over that index, nothing changed, until ready;
 * 3. a periodic rescan with nothing changed: INGEST_RESCAN_SECONDS after the start. The rescan is
 *    reported on GET /metrics (its end and its length); with an older build, found in the CPU samples:
 *    from the first 100 ms in which the child uses more than a third of a core to the next 300 ms in
 *    which it hardly uses any. From the warm start's end, one POST /write every ~150 ms (one at a
 *    time, new notes in a folder of their own, removed afterwards): their latency during the rescan,
 *    against those before it in the same run.
 *
 * `node dist/bench/stall-bench.js [sizes…] [--base <dist folder>] [--rounds n]` prints one JSON line
 * (bench/run.ts prints it as a table). `--base` names the dist/ folder of another build (e.g. the
 * last commit's, from a git worktree) to measure the same way, alternating with this build, so the
 * two compare on the same machine in the same minutes; a build without INGEST_RESCAN_SECONDS rescans
 * after its own fixed 60 s, which the wait for the rescan covers.
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
const HEALTH_EVERY_MS = 20;
/** Sparse enough that the writes' own CPU stays well under the rescan's thresholds below. */
const WRITE_EVERY_MS = 150;
const WRITE_FOLDER = 'stall-bench-writes';
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
  /** POST /write latency of the writes in flight during the rescan, and of those before it. */
  writes: Latency & { count: number };
  writesBefore: Latency & { count: number };
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
  const own: Build = { name: 'this', start: thisBuild.startIngestProcess };
  if (!baseDist) return [own];
  const module = (await import(pathToFileURL(resolve(baseDist, 'bench', 'server-process.js')).href)) as typeof thisBuild;
  return [{ name: 'base', start: module.startIngestProcess }, own];
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
  readonly writes: Array<{ at: number; ms: number }> = [];
  private writing: Promise<void> = Promise.resolve();

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

  /** Writes a new note every WRITE_EVERY_MS, one at a time, until stopped. */
  startWriting(): void {
    this.writing = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const at = performance.now();
        const body = { content: `A note written during the stall bench (${i}).`, filename: `${WRITE_FOLDER}/w-${i}`, mode: 'create' };
        const answer = await this.http.timed('POST', '/write', body);
        if (answer.status !== 201) throw new Error(`POST /write answered ${answer.status} ${JSON.stringify(answer.body)}`);
        this.writes.push({ at, ms: answer.ms });
        await sleep(Math.max(0, WRITE_EVERY_MS - answer.ms));
      }
    })();
  }

  /** /health's latencies of the requests in flight at some moment between `from` and `to`. */
  healthBetween(from: number, to = Infinity): Latency & { polls: number } {
    const samples = this.health.filter((s) => s.at + s.ms >= from && s.at <= to).map((s) => s.ms);
    return { ...summarize(samples), polls: samples.length };
  }

  /** POST /write latencies of the writes in flight at some moment between `from` and `to`. */
  writesBetween(from: number, to = Infinity): Latency & { count: number } {
    return writeLatency(this.writes.filter((s) => s.at + s.ms >= from && s.at <= to));
  }

  /** POST /write latencies of the writes answered before `at`. */
  writesBefore(at: number): Latency & { count: number } {
    return writeLatency(this.writes.filter((s) => s.at + s.ms < at));
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
    await Promise.all([this.running, this.writing]);
    this.http.close();
  }
}

function writeLatency(writes: Array<{ ms: number }>): Latency & { count: number } {
  return { ...summarize(writes.map((s) => s.ms)), count: writes.length };
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
  const env = { INGEST_HOST: '127.0.0.1', INGEST_PORT: '0', INGEST_BRAIN_DIR: dir, INGEST_TOKEN: '', INGEST_RESCAN_SECONDS: String(RESCAN_SECONDS) };
  const server = await build.start(env);
  const sampler = new Sampler(server.url, server.pid, server.spawnedAt);
  try {
    await untilReady(server.url);
    const ready = performance.now();
    const { polls, ...health } = sampler.healthBetween(0, ready);
    const result: PhaseResult = { readyMs: Math.round(ready - server.spawnedAt), health, polls, failures: 0 };
    if (rescan) sampler.startWriting();
    const scan = rescan ? await awaitRescan(sampler, server.url, server.spawnedAt + RESCAN_SECONDS * 1000) : undefined;
    result.failures = sampler.failures;
    return { phase: result, ...(scan ? { rescan: scan } : {}) };
  } finally {
    await sampler.stop();
    await server.stop();
    await rm(join(dir, 'knowledge', WRITE_FOLDER), { recursive: true, force: true });
  }
}

/**
 * Waits for the rescan due at `due` (spawn + period; the timer starts a little later) and measures it.
 * A build that reports its rescans on GET /metrics (supervisor_brain_rescan_duration_seconds) tells
 * when one ended and how long it took; an older one is found in the CPU samples.
 */
async function awaitRescan(sampler: Sampler, url: string, due: number): Promise<RescanResult> {
  const giveUp = due + 60_000;
  const before = await rescansReported(url);
  let started: number | null = null;
  let ended: number | null = null;
  while (ended === null) {
    await sleep(50);
    const now = performance.now();
    if (before) {
      const reported = await rescansReported(url);
      if (reported && reported.count > before.count) {
        ended = performance.now();
        started = ended - (reported.seconds - before.seconds) * 1000;
      } else if (now > giveUp) break;
    } else if (started === null) {
      if (now > giveUp) break;
      if (now >= due && sampler.cpuOver(now, 100) > BUSY_CPU_MS) started = now - 100;
    } else if (now - started > 400 && sampler.cpuOver(now, 300) < QUIET_CPU_MS) ended = now - 300;
  }
  if (started === null || ended === null) {
    const { polls, ...health } = sampler.healthBetween(due, performance.now());
    return { ms: null, cpuMs: null, health, polls, writes: sampler.writesBetween(due), writesBefore: sampler.writesBefore(due) };
  }
  const { polls, ...health } = sampler.healthBetween(started, ended);
  const writes = { writes: sampler.writesBetween(started, ended), writesBefore: sampler.writesBefore(started) };
  return { ms: Math.round(ended - started), cpuMs: Math.round(sampler.cpuAt(ended) - sampler.cpuAt(started)), health, polls, ...writes };
}

/** The rescans GET /metrics counts so far and their seconds in all; null when the build has no such metric. */
async function rescansReported(url: string): Promise<{ count: number; seconds: number } | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => text.split('\n').find((line) => line.startsWith(`${name} `))?.split(' ')[1];
  const count = value('supervisor_brain_rescan_duration_seconds_count');
  const seconds = value('supervisor_brain_rescan_duration_seconds_sum');
  return count === undefined || seconds === undefined ? null : { count: Number(count), seconds: Number(seconds) };
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
