/**
 * The ingestion service measured from outside, as its callers see it: `supervisor ingest` of this
 * build runs in a child process (loopback, a free port) over a generated brain, and this process times
 * its HTTP answers. Prints one JSON line; run by bench/run.ts, or alone:
 * `node dist/bench/load-bench.js 10000 [zipf|common]` (bench/corpus.ts describes the two corpora).
 *
 * 1. cold build: the index deleted, the service started; GET /health polled every ~20 ms until
 *    GET /ready answers 200: the build's time (spawn → ready) and /health's latency meanwhile;
 * 2. queries over HTTP (POST /query, limit 5) of three kinds — keyword, the consulting call's query
 *    (built from a prompt as a consulting call builds it), prompt-length — with the scan baseline
 *    interleaved query by query, so the machine's moods weigh on both alike;
 * 3. writes: 60 POST /write in a row with the service idle, then 60 more while 4 clients send
 *    prompt-length queries back to back; /health polled throughout both.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_QUERY_LIMIT } from '../common/brain-contract.js';
import { firstTerms } from '../src/consult/knowledge.js';
import { brainFor, CORPORA, keywordQuery, promptQuery, Rng, Vocabulary, type Corpus } from './corpus.js';
import { JsonHttp } from './http-client.js';
import { sleep, summarize, type Latency } from './latency.js';
import { scanQueryCount, scanSearch } from './scan-baseline.js';
import { processPeakRssMb, startIngestProcess, type ServerProcess } from './server-process.js';

const size = Number(process.argv[2] ?? 1000);
const corpus = (process.argv[3] ?? 'zipf') as Corpus;
if (!CORPORA.includes(corpus)) throw new Error(`corpus must be one of ${CORPORA.join(', ')}`);

/** Queries of each kind over HTTP; the scan answers scanQueryCount(size) of them, spread evenly. */
const QUERIES_PER_KIND = 300;
const WARM_UP_QUERIES = 30;
const WRITES = 60;
const LOAD_CLIENTS = 4;
const HEALTH_EVERY_MS = 20;
/** Where the bench's writes go, under knowledge/; removed before and after. */
const WRITE_FOLDER = 'bench-load';

export interface QueryKindResult extends Latency {
  /** p50 over HTTP of the queries the scan also answered (few: for reference), and the scan's p50 on them. */
  pairedP50: number;
  scanP50: number;
  /**
   * scanP50 ÷ p50: how much faster the index answers over HTTP than a scan in-process. Against the
   * p50 of every query, as the scan's cost hardly depends on the query and the index's does.
   */
  speedup: number;
  /** Queries that found nothing: a kind whose queries find nothing measures nothing. */
  empty: number;
}

export interface WriteSeries {
  write: Latency;
  health: Latency;
}

export interface LoadResult {
  notes: number;
  corpus: Corpus;
  coldBuild: { listenMs: number; readyMs: number; health: Latency; healthPolls: number };
  queries: { perKind: number; scanQueries: number; keyword: QueryKindResult; consult: QueryKindResult; prompt: QueryKindResult };
  writes: {
    count: number;
    idle: WriteSeries;
    underLoad: WriteSeries & { clients: number; queries: Latency; queriesPerSecond: number };
  };
  serverPeakRssMb: number | null;
}

const vocab = new Vocabulary();

interface Hits {
  results: unknown[];
}

async function main(): Promise<void> {
  const { dir } = await brainFor(size, vocab, corpus);
  const knowledge = join(dir, 'knowledge');
  await rm(join(knowledge, WRITE_FOLDER), { recursive: true, force: true });
  await rm(join(dir, '.index'), { recursive: true, force: true });

  const env: Record<string, string> = { INGEST_HOST: '127.0.0.1', INGEST_PORT: '0', INGEST_BRAIN_DIR: dir, INGEST_TOKEN: '' };
  const server = await startIngestProcess(env);
  try {
    const coldBuild = await measureColdBuild(server);

    const rng = new Rng(2024);
    const prompts = Array.from({ length: QUERIES_PER_KIND }, () => promptQuery(rng, vocab, corpus));
    const kinds = {
      keyword: Array.from({ length: QUERIES_PER_KIND }, () => keywordQuery(rng, vocab, corpus)),
      // What a consulting call sends when its text is a prompt (src/consult/knowledge.ts).
      consult: Array.from({ length: QUERIES_PER_KIND }, () => firstTerms(promptQuery(rng, vocab, corpus))),
      prompt: prompts,
    };
    const http = new JsonHttp(server.url);
    const scanQueries = scanQueryCount(size);
    const queries = {
      perKind: QUERIES_PER_KIND,
      scanQueries,
      keyword: await measureQueries(http, knowledge, kinds.keyword, scanQueries),
      consult: await measureQueries(http, knowledge, kinds.consult, scanQueries),
      prompt: await measureQueries(http, knowledge, kinds.prompt, scanQueries),
    };
    http.close();

    const idle = await measureWrites(server.url, 'idle');
    const underLoad = await measureWritesUnderLoad(server.url, prompts);

    await rm(join(knowledge, WRITE_FOLDER), { recursive: true, force: true });
    await sleep(300); // let the service's watcher see the folder go before it stops
    const result: LoadResult = {
      notes: size,
      corpus,
      coldBuild,
      queries,
      writes: { count: WRITES, idle, underLoad },
      serverPeakRssMb: processPeakRssMb(server.pid),
    };
    console.log(JSON.stringify(result));
  } finally {
    await server.stop();
    await rm(join(knowledge, WRITE_FOLDER), { recursive: true, force: true });
  }
}

/** From the spawn to GET /ready 200, with /health timed every ~20 ms from the moment it listens. */
async function measureColdBuild(server: ServerProcess): Promise<LoadResult['coldBuild']> {
  const listenMs = performance.now() - server.spawnedAt;
  const health = healthPoller(server.url);
  const ready = new JsonHttp(server.url);
  let readyMs: number;
  try {
    for (;;) {
      const asked = performance.now();
      const answer = await ready.get('/ready');
      if (answer.status === 200) {
        readyMs = performance.now() - server.spawnedAt;
        break;
      }
      if (answer.status !== 503 || (answer.body as { status?: string }).status !== 'loading') {
        throw new Error(`GET /ready answered ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      await sleep(Math.max(0, HEALTH_EVERY_MS - (performance.now() - asked)));
    }
  } finally {
    ready.close();
  }
  const samples = await health.stop();
  return { listenMs: Math.round(listenMs), readyMs: Math.round(readyMs), health: summarize(samples), healthPolls: samples.length };
}

/**
 * GET /health every ~20 ms (or right after the previous answer, when it took longer) until stopped;
 * resolves to each answer's latency.
 */
function healthPoller(url: string): { stop(): Promise<number[]> } {
  const http = new JsonHttp(url);
  const samples: number[] = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const answer = await http.timed('GET', '/health');
      if (answer.status !== 200) throw new Error(`GET /health answered ${answer.status}`);
      samples.push(answer.ms);
      await sleep(Math.max(0, HEALTH_EVERY_MS - answer.ms));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      http.close();
      return samples;
    },
  };
}

async function query(http: JsonHttp, text: string): Promise<{ ms: number; hits: number }> {
  const answer = await http.timed('POST', '/query', { query: text, limit: DEFAULT_QUERY_LIMIT });
  if (answer.status !== 200) throw new Error(`POST /query answered ${answer.status} ${JSON.stringify(answer.body)}`);
  return { ms: answer.ms, hits: (answer.body as Hits).results.length };
}

/**
 * Every query over HTTP; after every (count ÷ scanQueries)-th, the scan answers the same text, so
 * scan and index are timed on the same queries, alternating, through the same minutes.
 */
async function measureQueries(http: JsonHttp, knowledge: string, texts: string[], scanQueries: number): Promise<QueryKindResult> {
  for (const text of texts.slice(0, WARM_UP_QUERIES)) await query(http, text); // the page cache and the JIT
  const every = Math.floor(texts.length / scanQueries);
  const samples: number[] = [];
  const paired: number[] = [];
  const scans: number[] = [];
  let empty = 0;
  for (const [i, text] of texts.entries()) {
    const answer = await query(http, text);
    samples.push(answer.ms);
    if (answer.hits === 0) empty++;
    if (i % every === every - 1 && scans.length < scanQueries) {
      paired.push(answer.ms);
      const started = performance.now();
      scanSearch(knowledge, text);
      scans.push(performance.now() - started);
    }
  }
  const all = summarize(samples);
  const scanP50 = summarize(scans).p50;
  return { ...all, pairedP50: summarize(paired).p50, scanP50, speedup: Math.round(scanP50 / all.p50), empty };
}

/** WRITES new notes, one after the other (mode create, as the trainer writes), with /health polled meanwhile. */
async function measureWrites(url: string, label: string): Promise<WriteSeries> {
  const http = new JsonHttp(url);
  const health = healthPoller(url);
  const samples: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const filename = `${WRITE_FOLDER}/${label}-${i}`;
    const answer = await http.timed('POST', '/write', { content: `A note written by the load bench (${label} ${i}).`, filename, mode: 'create' });
    if (answer.status !== 201) throw new Error(`POST /write answered ${answer.status} ${JSON.stringify(answer.body)}`);
    samples.push(answer.ms);
  }
  http.close();
  return { write: summarize(samples), health: summarize(await health.stop()) };
}

/** The same writes while LOAD_CLIENTS clients each send prompt-length queries back to back. */
async function measureWritesUnderLoad(url: string, prompts: string[]): Promise<LoadResult['writes']['underLoad']> {
  const clients = new JsonHttp(url);
  const latencies: number[] = [];
  let counting = false;
  let stopped = false;
  let next = 0;
  const loops = Array.from({ length: LOAD_CLIENTS }, async () => {
    while (!stopped) {
      const answer = await query(clients, prompts[next++ % prompts.length] as string);
      if (counting) latencies.push(answer.ms);
    }
  });
  await sleep(500); // every client under way before the writes start
  counting = true;
  const started = performance.now();
  const series = await measureWrites(url, 'under-load');
  const elapsed = performance.now() - started;
  counting = false;
  stopped = true;
  await Promise.all(loops);
  clients.close();
  return {
    ...series,
    clients: LOAD_CLIENTS,
    queries: summarize(latencies),
    queriesPerSecond: Math.round((latencies.length / elapsed) * 1000 * 10) / 10,
  };
}

await main();
