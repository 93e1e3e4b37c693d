/**
 * What supervisor adds around the model, measured through the real MCP client and HTTP transport:
 *
 * 1. overhead: a `review` call with a 10k-note brain and a 200-entry session history, against a
 *    fake model that answers at once; overhead = the call's wall time − the model server's own time
 *    (brain query, history, prompt assembly, session logging, MCP framing, HTTP both ways);
 * 2. concurrency: 200 calls at once against a fake model that takes 200 ms, against 200 direct
 *    `openai` client calls to the same fake, in the same run. The server runs as `supervisor serve` in
 *    a process of its own, as it does for real: the 200 clients and the fake model (here in this
 *    process) must not compete with it for one event loop.
 *
 * Prints one JSON line; run by bench/run.ts, or alone: `node dist/bench/mcp-bench.js`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { ingestionConfig } from '../ingestion/index.js';
import { supervisorConfig } from '../src/config.js';
import { startFakeLiteLlm } from '../src/dev/fake-litellm.js';
import { createLogger } from '../src/log.js';
import { startSupervisor } from '../src/serve.js';
import type { SessionEntry } from '../src/session/log.js';
import { brainFor, promptQuery, Rng, Vocabulary } from './corpus.js';
import { startServerProcess } from './server-process.js';

export interface McpResult {
  notes: number;
  historyEntries: number;
  calls: number;
  overhead: { p50: number; p99: number };
  /** A bare MCP round trip in the same run (brain_query, one word): what this machine's framing costs. */
  bareCall: { p50: number; p99: number };
  concurrency: { calls: number; modelMs: number; mcpWallMs: number; directWallMs: number; ratio: number; errors: number };
}

const CONCURRENT = 200;
const MODEL_MS = 200;
const SESSION = 'bench-history';

function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: Math.round(at(0.5) * 1000) / 1000, p99: Math.round(at(0.99) * 1000) / 1000 };
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function main(): Promise<void> {
  const vocab = new Vocabulary();
  const { dir: brainDir } = await brainFor(10_000, vocab);
  const sessionsDir = await mkdtemp(join(tmpdir(), 'supervisor-bench-sessions-'));
  const rng = new Rng(77);
  const history: SessionEntry[] = Array.from({ length: 200 }, (_, i) => ({
    session_id: SESSION,
    timestamp: new Date(Date.now() - (200 - i) * 60_000).toISOString(),
    skill: i % 2 ? 'debug' : 'tdd_red',
    phase: i % 2 ? 'debug' : 'red',
    project_root: '/work/shop',
    final_status: 'ok',
    model_used: 'gpu/qwen2.5-coder-32b',
    duration_ms: 4000,
    message: promptQuery(rng, vocab).slice(0, 200),
    attempts: [{ model: 'gpu/qwen2.5-coder-32b', outcome: 'ok', ms: 4000 }],
    usage: { prompt_tokens: 3000, completion_tokens: 400 },
  }));
  const historyText = history.map((entry) => JSON.stringify(entry)).join('\n') + '\n';

  const llm = await startFakeLiteLlm();
  llm.behave('gpu/qwen2.5-coder-32b', { kind: 'answer', text: '## Finding\nThe handler charges twice on a retried delivery.', chunks: 4 });
  const env = {
    SUPERVISOR_PORT: '0',
    INGEST_PORT: '0',
    SUPERVISOR_BRAIN_DIR: brainDir,
    SUPERVISOR_SESSIONS_DIR: sessionsDir,
    LITELLM_BASE_URL: llm.url,
    LOG_LEVEL: 'silent',
  };
  const supervisor = await startSupervisor(supervisorConfig(env), ingestionConfig(env), createLogger('silent'));
  await supervisor.ingestion?.loaded;

  // 1. overhead
  const client = await connect(supervisor.mcpUrl);
  const overheads: number[] = [];
  const calls = 200;
  for (let i = 0; i < calls + 20; i++) {
    await writeFile(join(sessionsDir, `${SESSION}.jsonl`), historyText); // keep the history at 200 entries
    const code = promptQuery(rng, vocab);
    const before = llm.durations.length;
    const started = performance.now();
    const result = await client.callTool({
      name: 'review',
      arguments: { project_root: '/work/shop', files: ['src/handler.ts'], attachments: [{ path: 'src/handler.ts', content: code }], session_id: SESSION },
    });
    const wall = performance.now() - started;
    if (result.isError) throw new Error(`benchmark call failed: ${JSON.stringify(result.content)}`);
    const modelMs = llm.durations.slice(before).reduce((sum, ms) => sum + ms, 0);
    if (i >= 20) overheads.push(wall - modelMs); // the first calls warm caches and the JIT
  }
  const bare: number[] = [];
  for (let i = 0; i < 220; i++) {
    const started = performance.now();
    await client.callTool({ name: 'brain_query', arguments: { query: 'zzqqxx' } });
    if (i >= 20) bare.push(performance.now() - started);
  }
  await client.close();

  // 2. concurrency: MCP calls to a separate server process, then direct calls, against the same 200 ms model
  llm.behave('gpu/qwen2.5-coder-32b', { kind: 'answer', text: '## Finding\nFine.', chunks: 4, delayMs: MODEL_MS });
  const server = await startServerProcess({ ...env, SUPERVISOR_SESSIONS_DIR: sessionsDir });
  const clients = await Promise.all(Array.from({ length: CONCURRENT }, () => connect(server.url)));
  // Warm both paths alike (JIT, connection pools) before timing either.
  for (let i = 0; i < 50; i++) await clients[i % CONCURRENT]?.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: `warm-up ${i}` } });
  let errors = 0;
  let started = performance.now();
  await Promise.all(
    clients.map((c, i) =>
      c
        .callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: `TypeError in request ${i}`, session_id: `concurrent-${i}` } })
        .then((r) => {
          if (r.isError) errors++;
        }, () => errors++),
    ),
  );
  const mcpWallMs = performance.now() - started;
  await Promise.all(clients.map((c) => c.close()));
  await server.stop();

  const openai = new OpenAI({ baseURL: `${llm.url}/v1`, apiKey: 'bench', maxRetries: 0 });
  const direct = async (content: string) => {
    const stream = await openai.chat.completions.create({ model: 'gpu/qwen2.5-coder-32b', stream: true, messages: [{ role: 'user', content }] });
    for await (const _chunk of stream) {
      // consume the stream, as the MCP server does
    }
  };
  for (let i = 0; i < 50; i++) await direct(`warm-up ${i}`);
  started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => direct(`TypeError in request ${i}`)));
  const directWallMs = performance.now() - started;

  await supervisor.close();
  await llm.close();
  await rm(sessionsDir, { recursive: true, force: true });

  const result: McpResult = {
    notes: 10_000,
    historyEntries: history.length,
    calls,
    overhead: percentiles(overheads),
    bareCall: percentiles(bare),
    concurrency: {
      calls: CONCURRENT,
      modelMs: MODEL_MS,
      mcpWallMs: Math.round(mcpWallMs),
      directWallMs: Math.round(directWallMs),
      ratio: Math.round((mcpWallMs / directWallMs) * 100) / 100,
      errors,
    },
  };
  console.log(JSON.stringify(result));
}

await main();
