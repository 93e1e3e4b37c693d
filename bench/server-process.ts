/** `supervisor serve` of this build in a child process, for the benchmarks that measure it from outside. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `supervisor serve` in a child process, on free ports; resolves once it listens. */
export async function startServerProcess(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, 'serve'], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
      const found = /"url":"(http:\/\/[^"]+\/mcp)"/.exec(out);
      if (found?.[1]) resolve(found[1]);
    });
    child.on('exit', (code) => reject(new Error(`supervisor serve exited (${code}) before listening`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
