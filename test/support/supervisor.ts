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

export interface TestSupervisor extends RunningSupervisor {
  llm: FakeLiteLlm;
  brainDir: string;
  logs(): string;
  /** A connected MCP client (closed by stop). */
  connect(headers?: Record<string, string>): Promise<Client>;
  stop(): Promise<void>;
}

export async function startTestSupervisor(env: Record<string, string> = {}, fake: FakeOptions = {}): Promise<TestSupervisor> {
  const llm = await startFakeLiteLlm(fake);
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
