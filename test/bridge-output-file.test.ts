/**
 * spec's output_path: the bridge, where the code is, saves the answer there — under project_root, links
 * resolved, never over an existing file unless the call says overwrite — and the server, which writes
 * no files, says so to a caller that reaches it directly.
 */
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectBridge } from './support/bridge-client.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let base: string;
let project: string;
let outside: string;
const clients: Client[] = [];

beforeAll(async () => {
  sup = await startTestSupervisor();
  base = await realpath(await mkdtemp(join(tmpdir(), 'supervisor-output-file-')));
  project = join(base, 'project');
  outside = join(base, 'outside');
  await mkdir(join(project, 'docs'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(project, 'docs', 'old.md'), 'the old spec\n');
  await symlink(outside, join(project, 'out-link'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await sup.stop();
  await rm(base, { recursive: true, force: true });
});

async function bridge(): Promise<Client> {
  const client = await connectBridge(sup.mcpUrl, project, 'bridge-output-file-test');
  clients.push(client);
  return client;
}

const texts = (result: unknown) => ((result as { content: Array<{ text: string }> }).content ?? []).map((c) => c.text);
const spec = (args: Record<string, unknown>) => ({ name: 'spec', arguments: { project_root: project, requirements: 'deduplicate payment webhooks', ...args } });

describe('through the bridge', () => {
  it('saves the answer to output_path under project_root, making its folders, and says so', async () => {
    const client = await bridge();
    const result = await client.callTool(spec({ output_path: 'docs/specs/webhooks.md' }));
    expect(result.isError).toBeFalsy();
    const saved = await readFile(join(project, 'docs', 'specs', 'webhooks.md'), 'utf8');
    expect(saved).toBe(texts(result)[0]);
    expect(texts(result).at(-1)).toBe(`Saved by the bridge to docs/specs/webhooks.md (${saved.length} characters).`);
    expect(result.structuredContent).toMatchObject({ bridge_output: { path: 'docs/specs/webhooks.md', status: 'written' } });
    expect(JSON.stringify(result)).not.toContain('Not saved');
  });

  it('never replaces an existing file unless asked: refused before any model is asked, replaced with overwrite: true', async () => {
    const client = await bridge();
    const before = sup.llm.requests.length;
    const refused = await client.callTool(spec({ output_path: 'docs/old.md' }));
    expect(refused.isError).toBe(true);
    expect(texts(refused)[0]).toMatch(/^output_path docs\/old\.md exists; nothing was sent\. Pass overwrite: true/);
    expect(sup.llm.requests.length).toBe(before);
    expect(await readFile(join(project, 'docs', 'old.md'), 'utf8')).toBe('the old spec\n');

    const replaced = await client.callTool(spec({ output_path: 'docs/old.md', overwrite: true }));
    expect(replaced.isError).toBeFalsy();
    expect(await readFile(join(project, 'docs', 'old.md'), 'utf8')).toBe(texts(replaced)[0]);
  });

  it('refuses a path that leaves project_root, by .. or through a symbolic link; nothing is written or sent', async () => {
    const client = await bridge();
    const before = sup.llm.requests.length;
    for (const [path, reason] of [
      ['../outside/escape.md', /is outside project_root/],
      [join(outside, 'escape.md'), /is outside project_root/],
      ['out-link/escape.md', /leads outside project_root \(a symbolic link\)/],
    ] as const) {
      const result = await client.callTool(spec({ output_path: path }));
      expect(result.isError, path).toBe(true);
      expect(texts(result)[0]).toMatch(reason);
    }
    expect(sup.llm.requests.length).toBe(before);
    await expect(readFile(join(outside, 'escape.md'))).rejects.toThrow(/ENOENT/);
  });
});

describe('directly over HTTP', () => {
  it('the server writes nothing and says so in the text', async () => {
    const client = await sup.connect();
    const result = await client.callTool(spec({ output_path: 'docs/direct.md' }));
    expect(result.isError).toBeFalsy();
    expect(texts(result).at(-1)).toBe('Not saved to docs/direct.md: the server writes no files; save the text above there yourself.');
    await expect(readFile(join(project, 'docs', 'direct.md'))).rejects.toThrow(/ENOENT/);
  });
});
