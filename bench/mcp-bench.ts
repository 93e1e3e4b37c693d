/**
 * What supervisor adds around the model, measured through the real MCP client and HTTP transport, on
 * the corpus with common words in most notes (bench/corpus.ts):
 *
 * 1. overhead, at each brain size (1k, 10k, 100k notes, or the sizes given): `review` calls with a
 *    prompt from the corpus as their context (so the call's knowledge query finds notes, as a real
 *    one does) and a 200-entry session history, against a fake model that answers at once; overhead =
 *    the call's wall time − the model server's own time (brain query, history, prompt assembly,
 *    session logging, MCP framing, HTTP both ways);
 * 2. concurrency: 200 calls at once against a fake model that takes 200 ms, against 200 direct
 *    `openai` client calls to the same fake, in the same run, with the server's CPU time per call. The
 *    server runs as `supervisor serve` in a process of its own, as it does for real: the 200 clients
 *    and the fake model (here in this process) must not compete with it for one event loop.
 *
 * Both protocol eras are measured in the same run: a 2025-era client (the v1 SDK client, a protocol
 * session) and a 2026-07-28 one (the v2 client pinned to it, stateless), their calls interleaved so
 * that the machine's noise falls on both alike.
 *
 * Prints one JSON line; run by bench/run.ts, or alone: `node dist/bench/mcp-bench.js [sizes…]`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { ingestionConfig } from '../ingestion/index.js';
import { supervisorConfig } from '../src/config.js';
import { startFakeLiteLlm, type FakeLiteLlm } from '../src/dev/fake-litellm.js';
import { createLogger } from '../src/log.js';
import { startSupervisor } from '../src/serve.js';
import type { SessionEntry } from '../src/session/log.js';
import { brainFor, promptQuery, Rng, Vocabulary, type Corpus } from './corpus.js';
import { processCpuMs, startServerProcess } from './server-process.js';

export type Era = 'legacy' | 'modern';
export const ERAS: readonly Era[] = ['legacy', 'modern'];

export interface OverheadAtSize {
  notes: number;
  /** By era: 2025 (`legacy`) and 2026-07-28 (`modern`). */
  overhead: Record<Era, { p50: number; p99: number }>;
  /** A bare MCP round trip in the same run (brain_query, one word): what this machine's framing costs. */
  bareCall: Record<Era, { p50: number; p99: number }>;
  /** Notes the calls' knowledge queries brought into the prompt, on average; and calls that found none. */
  knowledgePerCall: number;
  callsWithoutKnowledge: number;
}

export interface ConcurrencyResult {
  mcpWallMs: number;
  ratio: number;
  errors: number;
  /** CPU time (user + system) the server process used during the phase, per call; null without /proc. */
  serverCpuMsPerCall: number | null;
  callsWithoutKnowledge: number;
}

export interface McpResult {
  corpus: Corpus;
  historyEntries: number;
  calls: number;
  /** One entry per brain size, smallest first. */
  overheads: OverheadAtSize[];
  concurrency: {
    notes: number;
    calls: number;
    modelMs: number;
    directWallMs: number;
  } & Record<Era, ConcurrencyResult>;
}

const CONCURRENT = 200;
const MODEL_MS = 200;
const SESSION = 'bench-history';
const CALLS = 200;
const WARM_UP_CALLS = 20;
/** The brain of the concurrency phase. */
const CONCURRENCY_NOTES = 10_000;
/** The corpus with common words in most notes: its knowledge queries cost what real ones do. */
const CORPUS: Corpus = 'common';
const MODEL = 'gpu/qwen2.5-coder-32b';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const vocab = new Vocabulary();

function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: Math.round(at(0.5) * 1000) / 1000, p99: Math.round(at(0.99) * 1000) / 1000 };
}

/** What the bench asks of a client of either era. */
interface BenchClient {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<{ isError?: boolean; content?: unknown; structuredContent?: unknown }>;
  close(): Promise<void>;
}

async function connect(url: string, era: Era): Promise<BenchClient> {
  if (era === 'modern') {
    const client = new ModernClient({ name: 'bench', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(new URL(url)));
    return client as BenchClient;
  }
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client as BenchClient;
}

/** The brain notes a consulting call's answer says it used (its structured `knowledge`). */
function knowledgeOf(result: { structuredContent?: unknown }): number {
  const knowledge = (result.structuredContent as { knowledge?: unknown } | undefined)?.knowledge;
  return Array.isArray(knowledge) ? knowledge.length : 0;
}

function environment(brainDir: string, sessionsDir: string, llmUrl: string): Record<string, string> {
  return {
    SUPERVISOR_PORT: '0',
    INGEST_PORT: '0',
    SUPERVISOR_BRAIN_DIR: brainDir,
    SUPERVISOR_SESSIONS_DIR: sessionsDir,
    LITELLM_BASE_URL: llmUrl,
    LOG_LEVEL: 'silent',
  };
}

/**
 * CALLS `review` calls, one at a time, to a supervisor in this process over a brain of `notes`: each
 * with a prompt from the corpus as its context, so its knowledge query finds notes as a real one does.
 */
async function measureOverhead(notes: number, sessionsDir: string, historyText: string, llm: FakeLiteLlm, rng: Rng): Promise<OverheadAtSize> {
  const { dir: brainDir } = await brainFor(notes, vocab, CORPUS);
  const env = environment(brainDir, sessionsDir, llm.url);
  const supervisor = await startSupervisor(supervisorConfig(env), ingestionConfig(env), createLogger('silent'));
  await supervisor.ingestion?.loaded;
  const clients = { legacy: await connect(supervisor.mcpUrl, 'legacy'), modern: await connect(supervisor.mcpUrl, 'modern') };
  const overheads: Record<Era, number[]> = { legacy: [], modern: [] };
  let knowledge = 0;
  let withoutKnowledge = 0;
  // Each era makes CALLS timed calls, one after the other's, so both see the same machine.
  for (let i = 0; i < 2 * (CALLS + WARM_UP_CALLS); i++) {
    const era = ERAS[i % 2] as Era;
    const client = clients[era];
    await writeFile(join(sessionsDir, `${SESSION}.jsonl`), historyText); // keep the history at 200 entries
    const context = promptQuery(rng, vocab, CORPUS);
    const code = promptQuery(rng, vocab, CORPUS);
    const before = llm.durations.length;
    const started = performance.now();
    const result = await client.callTool({
      name: 'review',
      arguments: { project_root: '/work/shop', files: ['src/handler.ts'], context, attachments: [{ path: 'src/handler.ts', content: code }], session_id: SESSION },
    });
    const wall = performance.now() - started;
    if (result.isError) throw new Error(`benchmark call failed: ${JSON.stringify(result.content)}`);
    const modelMs = llm.durations.slice(before).reduce((sum, ms) => sum + ms, 0);
    if (i < 2 * WARM_UP_CALLS) continue; // the first calls warm caches and the JIT
    overheads[era].push(wall - modelMs);
    const found = knowledgeOf(result);
    knowledge += found;
    if (found === 0) withoutKnowledge++;
  }
  const bare: Record<Era, number[]> = { legacy: [], modern: [] };
  for (let i = 0; i < 2 * (CALLS + WARM_UP_CALLS); i++) {
    const era = ERAS[i % 2] as Era;
    const started = performance.now();
    await clients[era].callTool({ name: 'brain_query', arguments: { query: 'zzqqxx' } });
    if (i >= 2 * WARM_UP_CALLS) bare[era].push(performance.now() - started);
  }
  await Promise.all(ERAS.map((era) => clients[era].close()));
  await supervisor.close();
  return {
    notes,
    overhead: { legacy: percentiles(overheads.legacy), modern: percentiles(overheads.modern) },
    bareCall: { legacy: percentiles(bare.legacy), modern: percentiles(bare.modern) },
    knowledgePerCall: Math.round((knowledge / (2 * CALLS)) * 100) / 100,
    callsWithoutKnowledge: withoutKnowledge,
  };
}

async function main(): Promise<void> {
  const sessionsDir = await mkdtemp(join(tmpdir(), 'supervisor-bench-sessions-'));
  const rng = new Rng(77);
  const history: SessionEntry[] = Array.from({ length: 200 }, (_, i) => ({
    session_id: SESSION,
    timestamp: new Date(Date.now() - (200 - i) * 60_000).toISOString(),
    skill: i % 2 ? 'debug' : 'tdd_red',
    phase: i % 2 ? 'debug' : 'red',
    project_root: '/work/shop',
    final_status: 'ok',
    model_used: MODEL,
    duration_ms: 4000,
    message: promptQuery(rng, vocab, CORPUS).slice(0, 200),
    attempts: [{ model: MODEL, outcome: 'ok', ms: 4000 }],
    usage: { prompt_tokens: 3000, completion_tokens: 400 },
  }));
  const historyText = history.map((entry) => JSON.stringify(entry)).join('\n') + '\n';

  const llm = await startFakeLiteLlm();
  llm.behave(MODEL, { kind: 'answer', text: '## Finding\nThe handler charges twice on a retried delivery.', chunks: 4 });

  // 1. overhead, at each brain size
  const overheads: OverheadAtSize[] = [];
  for (const notes of sizes.length > 0 ? sizes : [1_000, 10_000, 100_000]) {
    process.stderr.write(`  consulting overhead, ${notes} notes…\n`);
    overheads.push(await measureOverhead(notes, sessionsDir, historyText, llm, rng));
  }

  // 2. concurrency: MCP calls to a separate server process, then direct calls, against the same 200 ms model
  llm.behave(MODEL, { kind: 'answer', text: '## Finding\nFine.', chunks: 4, delayMs: MODEL_MS });
  const { dir: brainDir } = await brainFor(CONCURRENCY_NOTES, vocab, CORPUS);
  const server = await startServerProcess(environment(brainDir, sessionsDir, llm.url));
  // Each call's error text carries a prompt from the corpus: its knowledge query searches as a real one does.
  // Each era has texts of its own: the second must not find every term's postings kept by the first.
  const textsOf = () => Array.from({ length: CONCURRENT }, (_, i) => `TypeError in request ${i}: ${promptQuery(rng, vocab, CORPUS)}`);
  const errorTexts = Object.fromEntries(ERAS.map((era) => [era, textsOf()])) as Record<Era, string[]>;
  const byEra = {} as Record<Era, ConcurrencyResult>;
  for (const era of ERAS) byEra[era] = await concurrentCalls(server, era, errorTexts[era], rng);
  await server.stop();

  const openai = new OpenAI({ baseURL: `${llm.url}/v1`, apiKey: 'bench', maxRetries: 0 });
  const direct = async (content: string) => {
    const stream = await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content }] });
    for await (const _chunk of stream) {
      // consume the stream, as the MCP server does
    }
  };
  for (let i = 0; i < 50; i++) await direct(`warm-up ${i}`);
  const started = performance.now();
  await Promise.all(errorTexts.legacy.map((text) => direct(text)));
  const directWallMs = performance.now() - started;

  await llm.close();
  await rm(sessionsDir, { recursive: true, force: true });

  const result: McpResult = {
    corpus: CORPUS,
    historyEntries: history.length,
    calls: CALLS,
    overheads,
    concurrency: {
      notes: CONCURRENCY_NOTES,
      calls: CONCURRENT,
      modelMs: MODEL_MS,
      directWallMs: Math.round(directWallMs),
      ...Object.fromEntries(ERAS.map((era) => [era, { ...byEra[era], ratio: Math.round((byEra[era].mcpWallMs / directWallMs) * 100) / 100 }])),
    } as McpResult['concurrency'],
  };
  console.log(JSON.stringify(result));
}

/** CONCURRENT calls at once from CONCURRENT clients of one era to the server process, after a warm-up. */
async function concurrentCalls(server: Awaited<ReturnType<typeof startServerProcess>>, era: Era, errorTexts: string[], rng: Rng): Promise<ConcurrencyResult> {
  const clients = await Promise.all(Array.from({ length: CONCURRENT }, () => connect(server.url, era)));
  // Warm the path (JIT, connection pools) before timing it.
  for (let i = 0; i < 50; i++) {
    await clients[i % CONCURRENT]?.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: `warm-up ${i}: ${promptQuery(rng, vocab, CORPUS)}` } });
  }
  let errors = 0;
  let withoutKnowledge = 0;
  const cpuBefore = processCpuMs(server.pid);
  const started = performance.now();
  await Promise.all(
    clients.map((c, i) =>
      c.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: errorTexts[i] as string, session_id: `concurrent-${era}-${i}` } }).then(
        (r) => {
          if (r.isError) errors++;
          else if (knowledgeOf(r) === 0) withoutKnowledge++;
        },
        () => errors++,
      ),
    ),
  );
  const mcpWallMs = performance.now() - started;
  const cpuAfter = processCpuMs(server.pid);
  await Promise.all(clients.map((c) => c.close()));
  return {
    mcpWallMs: Math.round(mcpWallMs),
    ratio: 0, // set against the direct calls
    errors,
    serverCpuMsPerCall: cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) / CONCURRENT) * 100) / 100,
    callsWithoutKnowledge: withoutKnowledge,
  };
}

await main();
