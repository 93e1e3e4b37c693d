/**
 * `npm run build` ships `supervisor bridge` as one bundled file (package.json `bundle-bridge`), which
 * Claude Code starts for every session. The bundle is built here with that same script into a temp
 * folder and run as a user's bridge would be: it must forward, read files, and refuse bad settings
 * exactly as the unbundled code does, and it must hold none of the server's modules (they would bring
 * back the start-up time the bundle exists to save).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let out: string;
let project: string;
let entry: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'supervisor-bridge-bundle-'));
  project = join(out, 'project');
  await mkdir(join(project, 'src'), { recursive: true });
  await writeFile(join(project, 'src', 'cart.ts'), 'export const total = (items) => items.reduce((s, i) => s + i.price, 0);\n');
  // The project's own script, only the output moved: `npm run bundle-bridge -- --outfile=…` (the last one
  // counts), into a package of its own, as installed (the bridge reads its version from package.json).
  const bundle = join(out, 'package', 'dist', 'src', 'bridge', 'main.js');
  await promisify(execFile)('npm', ['run', 'bundle-bridge', '--silent', '--', `--outfile=${bundle}`, `--metafile=${join(out, 'meta.json')}`]);
  await writeFile(join(out, 'package', 'package.json'), await readFile('package.json'));
  entry = join(out, 'package', 'bridge.mjs');
  await writeFile(entry, "import { runBridge } from './dist/src/bridge/main.js';\nawait runBridge();\n");
  sup = await startTestSupervisor();
}, 120_000);

afterAll(async () => {
  await sup?.stop();
  await rm(out, { recursive: true, force: true });
});

describe('the bundled bridge', () => {
  it('forwards tools/list and a call, attaching the file the call names', async () => {
    const client = new Client({ name: 'bundle-test', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [entry],
        cwd: project,
        env: { ...(process.env as Record<string, string>), SUPERVISOR_URL: sup.mcpUrl },
        stderr: 'pipe',
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('review');
      const result = await client.callTool({ name: 'review', arguments: { project_root: project, files: ['src/cart.ts'] } });
      expect(sup.llm.requests.at(-1)?.messages[1]?.content).toContain('export const total = (items) => items.reduce');
      const report = (result.content as Array<{ text: string }>).at(-1)?.text;
      expect(report).toMatch(/^Files read by the bridge:\n- src\/cart\.ts: attached/);
    } finally {
      await client.close();
    }
  });

  it('forwards resources and prompts: a note written through it is listed and read back', async () => {
    const client = new Client({ name: 'bundle-test', version: '1' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [entry], cwd: project, env: { ...(process.env as Record<string, string>), SUPERVISOR_URL: sup.mcpUrl }, stderr: 'pipe' }),
    );
    try {
      const written = await client.callTool({ name: 'brain_write', arguments: { filename: 'bundle/cents.md', content: '# Cents\n\nKeep money in integer cents.\n' } });
      expect(written.isError).toBeFalsy();
      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri)).toContain('brain://knowledge/bundle/cents.md');
      const read = await client.readResource({ uri: 'brain://knowledge/bundle/cents.md' });
      expect(read.contents).toEqual([{ uri: 'brain://knowledge/bundle/cents.md', mimeType: 'text/markdown', text: '# Cents\n\nKeep money in integer cents.\n' }]);
      expect((await client.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(['end_session', 'review_changes', 'tdd_cycle']);
    } finally {
      await client.close();
    }
  });

  it('a bad setting stops it with one line and exit code 2', async () => {
    const child = spawn(process.execPath, [entry], { env: { ...process.env, BRIDGE_CONNECT_SECONDS: 'soon' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('supervisor: BRIDGE_CONNECT_SECONDS must be a whole number of seconds (got "soon")');
  });

  it('holds none of the server-side modules', async () => {
    const meta = JSON.parse(await readFile(join(out, 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
    // what the bundle holds: the files esbuild read and kept something of
    const inputs = Object.values(meta.outputs).flatMap((output) => Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path));
    expect(inputs.some((path) => path.endsWith('src/bridge/bridge.ts'))).toBe(true);
    const packages = new Set(inputs.map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? '(own)'));
    for (const heavy of ['fastify', 'better-sqlite3', 'openai', 'pino', 'prom-client', 'js-yaml', 'yaml', 'gray-matter']) expect(packages).not.toContain(heavy);
    const own = inputs.filter((path) => !path.includes('node_modules'));
    expect(own.filter((path) => path.startsWith('ingestion/') || path.includes('src/mcp/') || path.includes('src/serve'))).toEqual([]);
    // zod's locales are ~360 KB: a `import { z } from 'zod'` in the bridge's graph keeps them all
    expect(inputs.filter((path) => /zod\/v4\/locales\/(?!en\.)/.test(path))).toEqual([]);
  });
});
