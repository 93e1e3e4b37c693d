import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let brainDir: string;
beforeEach(async () => {
  brainDir = await mkdtemp(join(tmpdir(), 'supervisor-cli-'));
});
afterEach(async () => {
  await rm(brainDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real command line (through tsx, so no build is needed) with `env` added. */
function runCli(args: string[], env: Record<string, string>, untilStdout?: RegExp): Promise<Run & { stop?: () => Promise<Run> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: { ...process.env, INGEST_BRAIN_DIR: brainDir, INGEST_PORT: '0', SUPERVISOR_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<Run>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  void exited.then(() => clearTimeout(timer));
  if (!untilStdout) return exited;
  return new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      if (untilStdout.test(stdout)) {
        resolve({ code: null, stdout, stderr, stop: () => (child.kill('SIGTERM'), exited) });
      }
    });
    void exited.then((run) => reject(new Error(`exited before ready: ${run.stderr}${run.stdout}`)));
  });
}

describe('a bad setting stops the start with one line naming it', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ INGEST_PORT: 'abc' }, 'supervisor: INGEST_PORT must be a whole number (got "abc")'],
    [{ INGEST_PORT: '70000' }, 'supervisor: INGEST_PORT must be a port number from 0 to 65535 (got "70000")'],
    [{ INGEST_HOST: 'not a host!' }, 'supervisor: INGEST_HOST must be a host name or an IP address (got "not a host!")'],
    [{ INGEST_TOKEN: 'has a space in it' }, 'supervisor: INGEST_TOKEN must be printable ASCII without spaces'],
    [{ LOG_LEVEL: 'loud' }, 'supervisor: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
  ];
  it.each(cases)('%j', async (env, line) => {
    const run = await runCli(['ingest'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${line}\n`);
    expect(run.stdout).toBe('');
  });

  it('a port already in use is one line saying so', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const run = await runCli(['ingest'], { INGEST_PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `supervisor: port ${port} on 127.0.0.1 is already in use; stop the other process or choose another port (SUPERVISOR_PORT for the MCP server, INGEST_PORT for the ingestion service)\n`,
      );
    } finally {
      blocker.close();
    }
  });

  it('a missing, unparsable or invalid models.yaml, or a missing discipline, stops serve with one line', async () => {
    const bad = join(brainDir, 'models.yaml');
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['', { SUPERVISOR_MODELS_FILE: join(brainDir, 'nope.yaml') }, /^supervisor: SUPERVISOR_MODELS_FILE .*nope\.yaml cannot be read: ENOENT\n$/],
      ['default_chain: [a\n', { SUPERVISOR_MODELS_FILE: bad }, /^supervisor: SUPERVISOR_MODELS_FILE .*models\.yaml is not valid YAML: .+\n$/],
      ['skills: {}\n', { SUPERVISOR_MODELS_FILE: bad }, /^supervisor: SUPERVISOR_MODELS_FILE .*models\.yaml: default_chain .+\n$/],
      ['default_chain: []\n', { SUPERVISOR_MODELS_FILE: bad }, /^supervisor: SUPERVISOR_MODELS_FILE .*models\.yaml: default_chain must list at least one model\n$/],
      ['', { SUPERVISOR_CONFIG_DIR: brainDir }, /^supervisor: SUPERVISOR_CONFIG_DIR .* has no protocols\.md\n$/],
      ['', { LITELLM_BASE_URL: 'localhost:4000' }, /^supervisor: LITELLM_BASE_URL must (be a URL|start with http)/],
      ['', { SUPERVISOR_PROJECT_ROOTS: 'relative/dir' }, /^supervisor: SUPERVISOR_PROJECT_ROOTS must list absolute paths/],
    ];
    for (const [content, env, line] of cases) {
      if (content) await writeFile(bad, content);
      const run = await runCli(['serve'], env);
      expect(run.code, JSON.stringify(env)).toBe(2);
      expect(run.stderr).toMatch(line);
    }
  });

  it('an unknown command prints the usage and exits 2', async () => {
    const run = await runCli(['frobnicate'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^supervisor: unknown command "frobnicate"\n\nusage: supervisor <command>/);
  });
});

describe('serve', () => {
  it('starts the MCP server and the ingestion service on the embedded defaults, answers, and exits 0 on SIGTERM', async () => {
    const running = await runCli(['serve'], {}, /ingestion service listening/);
    expect(running.stdout).toMatch(/"url":"http:\/\/127\.0\.0\.1:\d+\/mcp".*"msg":"MCP server listening"/);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"ingestion service listening"/.exec(running.stdout)?.[1];
    expect(url).toBeDefined();
    const health = await fetch(`${url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const written = await fetch(`${url}/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'hello from the cli test', title: 'CLI' }),
    });
    expect(written.status).toBe(201);
    const stopped = await running.stop?.();
    expect(stopped?.code).toBe(0);
  });
});
