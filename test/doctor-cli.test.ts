/**
 * The built command line: `--version`, the warning `serve` logs for a misspelt setting, and
 * `doctor`'s exit codes as a script sees them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, runCli, startCli } from './support/cli.js';
import { freePort } from './support/ports.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-doctor-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('supervisor --version', () => {
  it.each([['--version'], ['-v'], ['version']])('%s prints the version of package.json and exits 0', async (flag) => {
    const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const run = await runCli([flag]);
    expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('a misspelt setting at start', () => {
  it('serve logs one warning naming it and the real setting, never its value, and still starts', async () => {
    const env = { SUPERVISOR_BRAIN_DIR: dir, INGEST_BRAIN_DIR: dir, SUPERVISOR_PORT: '0', INGEST_PORT: '0', SUPERVISOR_TOKNE: 'tok-never-logged-1234', LITELLM_URL: 'http://litellm:4000' };
    const running = await startCli(['serve'], env, /ingestion service listening/);
    const lines = running
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    const warnings = lines.filter((line) => line.level === 40 && / is not a setting supervisor reads/.test(line.msg)).map((line) => line.msg);
    expect(warnings).toEqual([
      'LITELLM_URL is not a setting supervisor reads (ignored): did you mean LITELLM_BASE_URL?',
      'SUPERVISOR_TOKNE is not a setting supervisor reads (ignored): did you mean SUPERVISOR_TOKEN?',
    ]);
    expect(running.stdout() + running.stderr()).not.toMatch(/tok-never-logged|litellm:4000/);
    await running.stop();
  });
});

describe('supervisor doctor exit codes', () => {
  it('1 when a problem is found, with the problem on stdout', async () => {
    const run = await runCli(['doctor', '--no-answers', '--project', dir], { SUPERVISOR_BRAIN_DIR: dir, LITELLM_BASE_URL: `http://127.0.0.1:${await freePort()}` });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^PROBLEM +LiteLLM at http:\/\/127\.0\.0\.1:\d+ is not reachable \(ECONNREFUSED\)/m);
    expect(run.stdout).toMatch(/^PROBLEM +no \.mcp\.json in /m);
  });

  it('2 for a bad option, with the usage', async () => {
    const run = await runCli(['doctor', '--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^supervisor: Unknown option '--frobnicate'\n\nusage: supervisor doctor/);
    expect(run.stdout).toBe('');
  });
});
