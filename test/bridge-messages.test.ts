/**
 * What a bridge user reads: a relative project_root works from the bridge's folder, files the bridge
 * could not read are not blamed on the server, a wrong SUPERVISOR_URL is explained with a supervisor
 * URL, and a model the caller named is not blamed on models.yaml.
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { connectBridge } from './support/bridge-client.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let project: string;
const clients: Client[] = [];

beforeAll(async () => {
  sup = await startTestSupervisor();
  project = await realpath(await mkdtemp(join(tmpdir(), 'supervisor-bridge-messages-')));
  await mkdir(join(project, 'src'));
  await writeFile(join(project, 'src', 'cart.ts'), 'export const cart = 1;\n');
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await sup.stop();
  await rm(project, { recursive: true, force: true });
});

async function bridge(): Promise<Client> {
  const client = await connectBridge(sup.mcpUrl, project, 'bridge-messages-test');
  clients.push(client);
  return client;
}

const texts = (result: unknown) => ((result as { content: Array<{ text: string }> }).content ?? []).map((c) => c.text).join('\n');

describe('through the bridge', () => {
  it('a relative project_root is the bridge folder: its files reach the model and the server is given the absolute path', async () => {
    const client = await bridge();
    for (const root of ['.', './']) {
      const result = await client.callTool({ name: 'review', arguments: { project_root: root, files: ['src/cart.ts'] } });
      expect(texts(result)).not.toMatch(/absolute path|on the server/);
      expect(result.isError).toBeFalsy();
      expect(sup.llm.requests.at(-1)?.messages[1]?.content).toContain('export const cart = 1;');
      expect(sup.llm.requests.at(-1)?.messages[1]?.content).toContain(project);
    }
  });

  it('a file the bridge could not read is reported once, by the bridge, without sending the user to the bridge', async () => {
    const client = await bridge();
    const result = await client.callTool({ name: 'review', arguments: { project_root: project, files: ['src/cart.ts', 'src/missing.ts'] } });
    expect(result.isError).toBeFalsy();
    const text = texts(result);
    expect(text).toContain('- src/missing.ts: skipped, not found');
    expect(JSON.stringify(result)).not.toMatch(/use the bridge|SUPERVISOR_PROJECT_ROOTS|on the server/);
  });

  it('a model the caller names that LiteLLM does not serve is not blamed on models.yaml', async () => {
    sup.llm.behave('no-such-model', { kind: 'status', status: 404, message: 'Invalid model name passed in model=no-such-model' });
    const client = await bridge();
    const result = await client.callTool({ name: 'debug', arguments: { project_root: project, error: 'boom', model: 'no-such-model' } });
    expect(result.isError).toBe(true);
    const text = texts(result);
    expect(text).toContain('no-such-model: 404');
    expect(text).toContain('a `model` argument is used as given');
    expect(text).not.toMatch(/fix the name in models\.yaml/);
  });
});

describe('SUPERVISOR_URL', () => {
  it('a value that is not a URL is refused with a supervisor URL as the example', async () => {
    const run = await runCli(['bridge'], { SUPERVISOR_URL: 'localhost:3200' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('SUPERVISOR_URL');
    expect(run.stderr).toContain('http://127.0.0.1:3200/mcp');
    expect(run.stderr).not.toContain('4000');
  });
});
