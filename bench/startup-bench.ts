/**
 * How long the built command line takes to be useful, measured on the built `dist/` a user runs:
 *
 * - `supervisor bridge`: from spawning the process to the answer of an MCP `initialize` written on its
 *   stdin, which is what Claude Code waits for at the start of every session. The bridge connects to
 *   its MCP server before it answers (it passes on the server's instructions), so a `supervisor serve`
 *   runs beside it, started once, already listening: the figure is the bridge's own start plus one
 *   local connection;
 * - `supervisor --help`: from spawning the process to its exit.
 *
 * Runs alternate between the two, after one unmeasured run of each (the disk cache). Prints one JSON
 * line; run by bench/run.ts, or alone: `node dist/bench/startup-bench.js [runs] [path/to/cli.js]`
 * (another checkout's cli.js, to compare).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from './server-process.js';

export interface StartupResult {
  runs: number;
  /** Spawn → `initialize` answered on stdout, p50 / p90 ms. */
  bridge: { p50: number; p90: number };
  /** Spawn → exit, p50 / p90 ms. */
  help: { p50: number; p90: number };
  /** Spawn → exit of `node -e 0` on this machine in the same run: the floor no command goes below. */
  bareNode: { p50: number; p90: number };
}

const runs = Number(process.argv[2] ?? 10) || 10;
const cli = process.argv[3] ?? fileURLToPath(new URL('../src/cli.js', import.meta.url));

const INITIALIZE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'startup-bench', version: '1' } },
})}\n`;

function percentiles(samples: number[]): { p50: number; p90: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: Math.round(at(0.5) * 10) / 10, p90: Math.round(at(0.9) * 10) / 10 };
}

/** Spawn → exit, in ms; fails on a non-zero exit. */
function timeToExit(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

/** Spawn → the answer to `initialize`, in ms; then closes stdin, which stops the bridge. */
function bridgeToInitialized(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, 'bridge'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let answered = 0;
    child.stdin.write(INITIALIZE);
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
      if (answered === 0 && out.includes('"id":1')) {
        answered = performance.now() - started;
        child.stdin.end();
      }
    });
    child.stderr.on('data', (chunk) => (err += String(chunk)));
    child.on('exit', () => (answered > 0 ? resolve(answered) : reject(new Error(`the bridge exited without answering initialize: ${err.trim()}`))));
  });
}

async function main(): Promise<void> {
  const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-bench-startup-'));
  const server = await startServerProcess({ SUPERVISOR_PORT: '0', INGEST_PORT: '0', SUPERVISOR_BRAIN_DIR: brainDir });
  const env = { SUPERVISOR_URL: server.url, BRIDGE_CONNECT_SECONDS: '0' };
  const bridge: number[] = [];
  const help: number[] = [];
  const bareNode: number[] = [];
  try {
    await bridgeToInitialized(env);
    await timeToExit([cli, '--help']);
    for (let i = 0; i < runs; i++) {
      bridge.push(await bridgeToInitialized(env));
      help.push(await timeToExit([cli, '--help']));
      bareNode.push(await timeToExit(['-e', '0']));
    }
  } finally {
    await server.stop();
    await rm(brainDir, { recursive: true, force: true });
  }
  const result: StartupResult = { runs, bridge: percentiles(bridge), help: percentiles(help), bareNode: percentiles(bareNode) };
  console.log(JSON.stringify(result));
}

await main();
