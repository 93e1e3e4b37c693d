/**
 * `supervisor serve` and `supervisor ingest` of this build in a child process, for the benchmarks that
 * measure them from outside, as clients in other processes reach them; and the CPU time a child uses.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  /** The MCP endpoint (serve) or the service's base address (ingest). */
  url: string;
  pid: number;
  /** performance.now() in this process just before the spawn: start-up times count from it. */
  spawnedAt: number;
  stop(): Promise<void>;
}

/** `supervisor serve` in a child process, on free ports; resolves once it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  return startCli('serve', env, 'MCP server listening');
}

/**
 * `supervisor ingest` (the ingestion service alone) in a child process; resolves once it listens,
 * which is before its index is loaded: GET /ready says when searches can be answered.
 */
export function startIngestProcess(env: Record<string, string>): Promise<ServerProcess> {
  return startCli('ingest', env, 'ingestion service listening');
}

/**
 * Runs a command of the built CLI at LOG_LEVEL info (the level it runs at for real) and reads its
 * address from the log line `listening` announces. Its log goes on being read and dropped, so a
 * full pipe never stalls the child.
 */
async function startCli(command: 'serve' | 'ingest', env: Record<string, string>, listening: string): Promise<ServerProcess> {
  const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [cli, command], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let pending = '';
  const url = await new Promise<string>((resolve, reject) => {
    let found = false;
    child.stdout.on('data', (chunk) => {
      if (found) return;
      pending += String(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const entry = parseLogLine(line);
        if (entry?.msg === listening && typeof entry.url === 'string') {
          found = true;
          resolve(entry.url);
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`supervisor ${command} exited (${code}) before listening`)));
  });
  return {
    url,
    pid: child.pid as number,
    spawnedAt,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function parseLogLine(line: string): Record<string, unknown> | null {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

let clockTicks: number | undefined;

/**
 * CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat; null where there is
 * no /proc (not Linux). Its resolution is one clock tick (10 ms): measure phases of many calls.
 */
export function processCpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name, in parentheses, may hold spaces: the fields counted start after it (state = field 3).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime and stime: fields 14 and 15
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (ticks * 1000) / clockTicks;
}

/** The peak resident memory of a process (VmHWM), in MB; null where there is no /proc. */
export function processPeakRssMb(pid: number): number | null {
  try {
    const found = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return found ? Math.round(Number(found[1]) / 1024) : null;
  } catch {
    return null;
  }
}
