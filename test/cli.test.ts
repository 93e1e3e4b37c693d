import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from './support/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every command gets its own brain and any free ports, so nothing here depends on the machine. */
const base = () => ({ INGEST_BRAIN_DIR: dir, SUPERVISOR_BRAIN_DIR: dir, INGEST_PORT: '0', SUPERVISOR_PORT: '0' });

interface Case {
  argv: string[];
  /** Settings added to the environment; `<dir>` is this test's temporary folder. */
  env: Record<string, string>;
  /** A models.yaml written to <dir>/models.yaml first. */
  modelsYaml?: string;
  code: number;
  /** What stderr must be (a string: exactly, with its newline) or match; stdout stays empty. */
  stderr: string | RegExp;
}

const CASES: Array<[string, Case]> = [
  ['INGEST_PORT not a number', { argv: ['ingest'], env: { INGEST_PORT: 'abc' }, code: 2, stderr: 'supervisor: INGEST_PORT must be a whole number (got "abc")\n' }],
  ['INGEST_PORT too large', { argv: ['ingest'], env: { INGEST_PORT: '70000' }, code: 2, stderr: 'supervisor: INGEST_PORT must be a port number from 0 to 65535 (got "70000")\n' }],
  ['INGEST_HOST not a host', { argv: ['ingest'], env: { INGEST_HOST: 'not a host!' }, code: 2, stderr: 'supervisor: INGEST_HOST must be a host name or an IP address (got "not a host!")\n' }],
  ['INGEST_TOKEN with a space', { argv: ['ingest'], env: { INGEST_TOKEN: 'has a space in it' }, code: 2, stderr: 'supervisor: INGEST_TOKEN must be printable ASCII without spaces\n' }],
  ['INGEST_RESCAN_SECONDS misspelt', { argv: ['ingest'], env: { INGEST_RESCAN_SECONDS: '60s' }, code: 2, stderr: 'supervisor: INGEST_RESCAN_SECONDS must be a whole number of seconds (got "60s")\n' }],
  ['INGEST_RESCAN_SECONDS too often', { argv: ['ingest'], env: { INGEST_RESCAN_SECONDS: '1' }, code: 2, stderr: 'supervisor: INGEST_RESCAN_SECONDS must be from 10 to 86400 seconds (got "1")\n' }],
  ['LOG_LEVEL unknown', { argv: ['ingest'], env: { LOG_LEVEL: 'loud' }, code: 2, stderr: 'supervisor: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")\n' }],
  ['models.yaml missing', { argv: ['serve'], env: { SUPERVISOR_MODELS_FILE: '<dir>/nope.yaml' }, code: 2, stderr: /^supervisor: SUPERVISOR_MODELS_FILE .*nope\.yaml cannot be read: ENOENT\n$/ }],
  ['models.yaml not YAML', { argv: ['serve'], env: { SUPERVISOR_MODELS_FILE: '<dir>/models.yaml' }, modelsYaml: 'default_chain: [a\n', code: 2, stderr: /^supervisor: SUPERVISOR_MODELS_FILE .*models\.yaml is not valid YAML: .+\n$/ }],
  ['models.yaml without default_chain', { argv: ['serve'], env: { SUPERVISOR_MODELS_FILE: '<dir>/models.yaml' }, modelsYaml: 'skills: {}\n', code: 2, stderr: /^supervisor: SUPERVISOR_MODELS_FILE .*models\.yaml: default_chain .+\n$/ }],
  ['models.yaml with an empty chain', { argv: ['serve'], env: { SUPERVISOR_MODELS_FILE: '<dir>/models.yaml' }, modelsYaml: 'default_chain: []\n', code: 2, stderr: /^supervisor: SUPERVISOR_MODELS_FILE .*models\.yaml: default_chain must list at least one model\n$/ }],
  ['a discipline missing', { argv: ['serve'], env: { SUPERVISOR_CONFIG_DIR: '<dir>' }, code: 2, stderr: /^supervisor: SUPERVISOR_CONFIG_DIR .* has no protocols\.md\n$/ }],
  ['LITELLM_BASE_URL not a URL', { argv: ['serve'], env: { LITELLM_BASE_URL: 'localhost:4000' }, code: 2, stderr: /^supervisor: LITELLM_BASE_URL must (be a URL|start with http)/ }],
  ['SUPERVISOR_PROJECT_ROOTS relative', { argv: ['serve'], env: { SUPERVISOR_PROJECT_ROOTS: 'relative/dir' }, code: 2, stderr: /^supervisor: SUPERVISOR_PROJECT_ROOTS must list absolute paths/ }],
  ['an unknown command', { argv: ['frobnicate'], env: {}, code: 2, stderr: /^supervisor: unknown command "frobnicate"\n\nusage: supervisor <command>/ }],
];

describe('a bad setting or command stops the start with one line naming it', () => {
  it.each(CASES)('%s', async (_name, { argv, env, modelsYaml, code, stderr }) => {
    if (modelsYaml !== undefined) await writeFile(join(dir, 'models.yaml'), modelsYaml);
    const withDir = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value.replace('<dir>', dir)]));
    const run = await runCli(argv, { ...base(), ...withDir });
    expect(run.code, run.stderr).toBe(code);
    if (typeof stderr === 'string') expect(run.stderr).toBe(stderr);
    else expect(run.stderr).toMatch(stderr);
    expect(run.stdout).toBe('');
  });

  it('a port already in use is one line saying so', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const run = await runCli(['ingest'], { ...base(), INGEST_PORT: String(port) });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `supervisor: port ${port} on 127.0.0.1 is already in use; stop the other process or choose another port (SUPERVISOR_PORT for the MCP server, INGEST_PORT for the ingestion service)\n`,
      );
    } finally {
      blocker.close();
    }
  });
});

describe('serve', () => {
  it('starts the MCP server and the ingestion service on the embedded defaults, answers, and exits 0 on SIGTERM', async () => {
    const running = await startCli(['serve'], base(), /ingestion service listening/);
    expect(running.stdout()).toMatch(/"url":"http:\/\/127\.0\.0\.1:\d+\/mcp".*"msg":"MCP server listening"/);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"ingestion service listening"/.exec(running.stdout())?.[1];
    expect(url).toBeDefined();
    const health = await fetch(`${url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const written = await fetch(`${url}/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'hello from the cli test', title: 'CLI' }),
    });
    expect(written.status).toBe(201);
    const stopped = await running.stop();
    expect(stopped.code).toBe(0);
  });
});
