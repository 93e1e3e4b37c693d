/** A real supervisor (MCP server + embedded brain) on loopback ports, with a fake LiteLLM behind it. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ingestionConfig } from '../../ingestion/config.js';
import { supervisorConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startSupervisor, type RunningSupervisor } from '../../src/serve.js';
import { startFakeLiteLlm, type FakeLiteLlm, type FakeOptions } from '../../src/dev/fake-litellm.js';
import { afterAll, beforeAll } from 'vitest';
import { FIXTURE_ENV } from './fixture-config.js';
import { trackFake } from './fakes.js';

export interface TestSupervisor extends RunningSupervisor {
  llm: FakeLiteLlm;
  brainDir: string;
  logs(): string;
  /** A connected MCP client (closed by stop). */
  connect(headers?: Record<string, string>): Promise<Client>;
  stop(): Promise<void>;
}

/** A fake LiteLLM that is reset before each test, so no test sees another's behaviours or requests. */
export async function startTestFake(options: FakeOptions = {}): Promise<FakeLiteLlm> {
  const llm = await startFakeLiteLlm(options);
  // setup.ts resets it before every test (see FakeLiteLlm.reset).
  const untrack = trackFake(llm);
  return {
    ...llm,
    close: async () => {
      untrack();
      await llm.close();
    },
  };
}

/** A supervisor on the tests' own config (test/fixtures/config), unless `env` says otherwise. */
export async function startTestSupervisor(env: Record<string, string> = {}, fake: FakeOptions = {}): Promise<TestSupervisor> {
  const llm = await startTestFake(fake);
  const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-mcp-'));
  let logged = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += String(chunk);
      done();
    },
  });
  const fullEnv = {
    SUPERVISOR_PORT: '0',
    INGEST_PORT: '0',
    SUPERVISOR_BRAIN_DIR: brainDir,
    LITELLM_BASE_URL: llm.url,
    SUPERVISOR_MODEL_TIMEOUT_SECONDS: '5',
    ...FIXTURE_ENV,
    ...env,
  };
  const running = await startSupervisor(supervisorConfig(fullEnv), ingestionConfig(fullEnv), createLogger('info', sink));
  await running.ingestion?.loaded;
  const clients: Client[] = [];
  return {
    ...running,
    llm,
    brainDir,
    logs: () => logged,
    async connect(headers = {}) {
      const client = new Client({ name: 'supervisor-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(running.mcpUrl), { requestInit: { headers } }));
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await running.close();
      await llm.close();
      await rm(brainDir, { recursive: true, force: true });
    },
  };
}

/**
 * One supervisor and one connected client for all the tests of a file (or a describe block):
 * started before the first, stopped after the last. `ready` receives them.
 */
export function useTestSupervisor(ready: (sup: TestSupervisor, client: Client) => void, env: Record<string, string> = {}, fake: FakeOptions = {}): void {
  let sup: TestSupervisor | undefined;
  beforeAll(async () => {
    sup = await startTestSupervisor(env, fake);
    ready(sup, await sup.connect());
  });
  afterAll(async () => {
    await sup?.stop();
  });
}
