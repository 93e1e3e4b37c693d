/** The README's curl examples work as written: run them against a real service and compare. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startService, type TestService } from './support/service.js';

const run = promisify(execFile);
let service: TestService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

interface Example {
  command: string;
  /** The `# …` line shown under the command, with … standing for anything. */
  expected?: string;
}

async function examples(section: string): Promise<Example[]> {
  const readme = await readFile('README.md', 'utf8');
  const body = readme.split(`## ${section}`)[1]?.split(/\n## /)[0] ?? '';
  const blocks = [...body.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  return blocks
    .filter((block) => block.includes('curl'))
    .map((block) => {
      const lines = block.slice(block.indexOf('curl')).split('\n');
      const command = lines.filter((line) => !line.startsWith('#')).join('\n');
      const expected = lines.find((line) => line.startsWith('# {'))?.slice(2);
      return { command, expected };
    });
}

function matches(output: string, expected: string): boolean {
  const pattern = expected.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`).test(output.trim());
}

async function shell(command: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('sh', ['-c', command], { env: { ...process.env, ...env } });
  return stdout;
}

describe('README', () => {
  it('the curl examples of "Try the brain with curl" answer what the README shows', async () => {
    service = await startService();
    const found = await examples('Try the brain with curl');
    expect(found.length).toBeGreaterThanOrEqual(3);
    for (const { command, expected } of found) {
      const output = await shell(command.replaceAll('http://127.0.0.1:3300', service.url));
      if (expected) expect(matches(output, expected), `${command}\n→ ${output}`).toBe(true);
      else expect(JSON.parse(output), command).toMatchObject({ path: 'retry-with-backoff.md', title: 'Retry with backoff' });
    }
  });

  it('the token example works with the token set', async () => {
    const token = 'a'.repeat(64);
    service = await startService({ token });
    const [example] = await examples('Configuration');
    expect(example?.command).toContain('$INGEST_TOKEN');
    const output = await shell(example?.command.replaceAll('http://127.0.0.1:3300', service.url) ?? '', { INGEST_TOKEN: token });
    expect(JSON.parse(output)).toEqual({ results: [] });
  });
});
