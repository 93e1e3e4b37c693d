/**
 * The package as a user gets it: `npm pack`, then `npm install -g` of the tarball into an empty
 * prefix, then the installed commands run from an empty folder, with no clone and no dev dependency
 * on the way — `supervisor`, `supervisor-mcp` (the bin `npx supervisor-mcp` runs), and a whole
 * `supervisor serve` answering MCP with the disciplines the package carries.
 *
 * Two steps are kept off the network and off a C++ compiler, so the test takes seconds, not minutes:
 * - npm resolves the dependencies `--prefer-offline`: the tarballs come from npm's cache, which the
 *   project's own `npm ci` has filled; only their metadata may be asked of the registry (a clean `npm ci`
 *   caches the tarballs but not the metadata, so `--offline` cannot work on a fresh CI machine).
 * - the install runs no scripts (ours has none that run on a tarball install; better-sqlite3's fetches
 *   or compiles its native module): the module is copied from the project's node_modules when the
 *   installed better-sqlite3 is the same version, and rebuilt (`npm rebuild`) otherwise.
 * `npx` runs with `--offline` from an empty folder against the installed prefix: it finds the package
 * there, so it never asks the registry, and it must pick the `supervisor-mcp` bin among the two.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './support/cli.js';
import { freePort } from './support/ports.js';
import { startTestFake } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

const run = promisify(execFile);

/**
 * The environment of the user's shell: none of the project's settings (the tests' config folders
 * would hide whether the package finds its own), nor the npm settings `npm test` exports to its
 * scripts (npm_config_prefix would redirect the install), but npm's cache and registry as configured.
 */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env = Object.entries(process.env).filter(
    ([key, value]) => value !== undefined && !/^(SUPERVISOR_|INGEST_|BRIDGE_|LITELLM_|FAKE_LLM_)/.test(key) && (!/^npm_/i.test(key) || keep.has(key.toLowerCase())),
  );
  return { ...(Object.fromEntries(env) as Record<string, string>), ...extra };
}

let work: string;
let prefix: string;
/** An empty folder the commands run in: nothing of the clone around them. */
let elsewhere: string;
const started = new Set<ChildProcess>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'supervisor-package-'));
  prefix = join(work, 'prefix');
  elsewhere = join(work, 'elsewhere');
  await mkdir(elsewhere);
  // --ignore-scripts: prepare would build, and the test run has built dist/ (test/support/build.ts).
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, env: userEnv() });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', join(work, filename)], {
    cwd: elsewhere,
    env: userEnv(),
  });
  const installed = join(prefix, 'lib', 'node_modules', 'supervisor-mcp', 'node_modules', 'better-sqlite3');
  const ours = join(REPO, 'node_modules', 'better-sqlite3');
  const version = async (dir: string) => (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  if ((await version(installed)) === (await version(ours))) {
    const binding = join('build', 'Release', 'better_sqlite3.node');
    await mkdir(join(installed, 'build', 'Release'), { recursive: true });
    await copyFile(join(ours, binding), join(installed, binding));
  } else {
    await run('npm', ['rebuild', 'better-sqlite3', '--loglevel=error'], { cwd: join(prefix, 'lib', 'node_modules', 'supervisor-mcp'), env: userEnv() });
  }
}, 300_000);

afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

const bin = (name: string) => join(prefix, 'bin', name);

describe('the package installed from its tarball', () => {
  it('installs both commands, and no dev dependency', async () => {
    const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const installed = JSON.parse(await readFile(join(prefix, 'lib', 'node_modules', 'supervisor-mcp', 'package.json'), 'utf8')) as { name: string };
    expect(installed.name).toBe('supervisor-mcp');
    const { stdout } = await run('npm', ['ls', '--global', '--prefix', prefix, '--all', '--parseable'], { env: userEnv() });
    const packages = new Set(stdout.split('\n').map((line) => /node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(line)?.[1]));
    expect(Object.keys(manifest.devDependencies).filter((name) => packages.has(name))).toEqual([]);
    expect(packages.has('better-sqlite3')).toBe(true);
  });

  it('`supervisor --help` and `supervisor-mcp --help` print the usage, from any folder', async () => {
    for (const name of ['supervisor', 'supervisor-mcp']) {
      const { stdout } = await run(bin(name), ['--help'], { cwd: elsewhere, env: userEnv() });
      expect(stdout, name).toMatch(/^usage: supervisor <command>/);
      expect(stdout, name).toMatch(/^ {2}init /m);
    }
  });

  it('`npx supervisor-mcp` runs the installed command, chosen among its two bins by the package name, without the registry', async () => {
    const { stdout } = await run('npx', ['--offline', '--yes', 'supervisor-mcp', '--help'], { cwd: elsewhere, env: userEnv({ npm_config_prefix: prefix }) });
    expect(stdout).toMatch(/^usage: supervisor <command>/);
  });

  it('`supervisor serve` answers MCP with the disciplines the package carries, and its bundled bridge forwards to it', async () => {
    const llm = await startTestFake();
    const brain = join(work, 'brain');
    const [mcpPort, ingestPort] = [await freePort(), await freePort()];
    const server = spawn(bin('supervisor'), ['serve'], {
      cwd: elsewhere,
      env: userEnv({ SUPERVISOR_PORT: String(mcpPort), INGEST_PORT: String(ingestPort), SUPERVISOR_BRAIN_DIR: brain, LITELLM_BASE_URL: llm.url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.add(server);
    let logs = '';
    server.stdout.on('data', (chunk) => (logs += String(chunk)));
    server.stderr.on('data', (chunk) => (logs += String(chunk)));
    const exited = new Promise<number | null>((done) => server.on('exit', (code) => done(code)));
    const url = `http://127.0.0.1:${mcpPort}/mcp`;
    const clients: Client[] = [];
    try {
      await waitFor(() => logs.includes(`MCP ${url}`) || server.exitCode !== null, 'the start-up line', 30_000);
      expect(logs, logs).toContain(`MCP ${url}`);
      expect((await fetch(`http://127.0.0.1:${ingestPort}/health`)).status).toBe(200);

      const http = new Client({ name: 'package-test', version: '1' });
      clients.push(http);
      await http.connect(new StreamableHTTPClientTransport(new URL(url)));
      expect((await http.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['review', 'brain_write', 'status']));
      const review = await http.callTool({
        name: 'review',
        arguments: { project_root: '/home/me/shop', files: ['src/cart.ts'], attachments: [{ path: 'src/cart.ts', content: 'export const total = 1;' }] },
      });
      expect(review.isError).toBeFalsy();
      // The review discipline as shipped in the package's config/supervisor, found without the clone.
      const discipline = (await readFile(join(REPO, 'config', 'supervisor', 'review.md'), 'utf8')).split('\n')[0]!;
      expect(llm.requests.at(-1)?.messages.map((m) => m.content).join('\n')).toContain(discipline);

      const bridge = new Client({ name: 'package-test-bridge', version: '1' });
      clients.push(bridge);
      await bridge.connect(new StdioClientTransport({ command: bin('supervisor'), args: ['bridge'], cwd: elsewhere, env: userEnv({ SUPERVISOR_URL: url }), stderr: 'pipe' }));
      const written = await bridge.callTool({ name: 'brain_write', arguments: { filename: 'package/cents.md', content: '# Cents\n\nKeep money in integer cents.\n' } });
      expect(written.isError).toBeFalsy();
      expect(await readFile(join(brain, 'knowledge', 'package', 'cents.md'), 'utf8')).toContain('Keep money in integer cents.');
    } finally {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      server.kill('SIGTERM');
      const code = await exited;
      started.delete(server);
      await llm.close();
      expect(code, logs).toBe(0);
    }
  });
});
