/**
 * Measures one brain size in a process of its own (so peak RSS belongs to that size alone) and
 * prints one JSON line. Run by bench/run.ts; `node dist/bench/brain-bench.js 10000 [zipf|common]` runs it
 * alone (bench/corpus.ts describes the two corpora).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_QUERY_LIMIT } from '../common/brain-contract.js';
import { Brain } from '../ingestion/index.js';
import { scanQueryCount, scanSearch } from './scan-baseline.js';
import { brainFor, CORPORA, keywordQuery, promptQuery, Rng, Vocabulary, type Corpus } from './corpus.js';

const size = Number(process.argv[2] ?? 1000);
const corpus = (process.argv[3] ?? 'zipf') as Corpus;
if (!CORPORA.includes(corpus)) throw new Error(`corpus must be one of ${CORPORA.join(', ')}`);
const logger = pino({ level: 'silent' });
const vocab = new Vocabulary();

export interface SizeResult {
  notes: number;
  corpus: Corpus;
  generateMs: number | null;
  coldStartMs: number;
  warmStartMs: number;
  keyword: Latency & { scanP50: number; speedup: number };
  prompt: Latency & { scanP50: number; speedup: number };
  scanQueries: number;
  writeToSearchable: Latency;
  diskEditToSearchable: Latency;
  idleCpuMsPer10s: number;
  peakRssMb: number;
}

interface Latency {
  p50: number;
  p99: number;
}

function percentiles(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: round(at(0.5)), p99: round(at(0.99)) };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

async function time(run: () => unknown): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** One query after the other, as a single client sends them: each timed from the call to its answer. */
async function timeEach<T>(items: T[], run: (item: T) => unknown): Promise<number[]> {
  const samples: number[] = [];
  for (const item of items) samples.push(await time(() => run(item)));
  return samples;
}

async function measureScan(knowledge: string, queries: string[]): Promise<number> {
  return percentiles(await timeEach(queries, (query) => scanSearch(knowledge, query))).p50;
}

async function main(): Promise<void> {
  const { dir, generateMs } = await brainFor(size, vocab, corpus);
  await rm(join(dir, '.index'), { recursive: true, force: true });

  let started = performance.now();
  let brain = await Brain.open(dir, logger);
  await brain.reconcile();
  const coldStartMs = Math.round(performance.now() - started);
  await brain.close();

  started = performance.now();
  brain = await Brain.open(dir, logger);
  brain.watch();
  await brain.reconcile();
  const warmStartMs = Math.round(performance.now() - started);

  const rng = new Rng(2024);
  const keywordQueries = Array.from({ length: 300 }, () => keywordQuery(rng, vocab, corpus));
  const promptQueries = Array.from({ length: 300 }, () => promptQuery(rng, vocab, corpus));
  const measure = async (queries: string[]) => {
    const search = (text: string) => brain.search({ query: text, limit: DEFAULT_QUERY_LIMIT });
    await timeEach(queries.slice(0, 30), search); // warm the page cache
    return percentiles(await timeEach(queries, search));
  };
  const keyword = await measure(keywordQueries);
  const prompt = await measure(promptQueries);

  const scanQueries = scanQueryCount(size);
  const knowledge = join(dir, 'knowledge');
  const keywordScan = await measureScan(knowledge, keywordQueries.slice(0, scanQueries));
  const promptScan = await measureScan(knowledge, promptQueries.slice(0, scanQueries));

  const writeSamples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const word = `zzwrite${i}x${Date.now().toString(36)}`;
    const writeStarted = performance.now();
    await brain.write({ content: `a note about ${word}`, filename: `bench/written-${word}`, mode: 'create' });
    const found = await brain.search({ query: word, limit: 1 });
    writeSamples.push(performance.now() - writeStarted);
    if (found[0]?.path !== `bench/written-${word}.md`) throw new Error('a written note was not searchable on return');
  }

  const editSamples: number[] = [];
  await mkdir(join(knowledge, 'bench-edits'), { recursive: true });
  await brain.settled();
  for (let i = 0; i < 10; i++) {
    const word = `zzedit${i}x${Date.now().toString(36)}`;
    const editStarted = performance.now();
    await writeFile(join(knowledge, 'bench-edits', `edit-${i}.md`), `edited on disk: ${word}`);
    while ((await brain.search({ query: word, limit: 1 })).length === 0) {
      if (performance.now() - editStarted > 5000) throw new Error('an edit on disk was not searchable within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    editSamples.push(performance.now() - editStarted);
  }

  // Idle: the watcher is armed and nothing happens; the process should use (almost) no CPU.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const cpuBefore = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const cpu = process.cpuUsage(cpuBefore);
  const idleCpuMsPer10s = round(((cpu.user + cpu.system) / 1000) * (10 / 3));

  await rm(join(knowledge, 'bench'), { recursive: true, force: true });
  await rm(join(knowledge, 'bench-edits'), { recursive: true, force: true });
  await brain.close();

  const result: SizeResult = {
    notes: size,
    corpus,
    generateMs,
    coldStartMs,
    warmStartMs,
    keyword: { ...keyword, scanP50: round(keywordScan), speedup: Math.round(keywordScan / keyword.p50) },
    prompt: { ...prompt, scanP50: round(promptScan), speedup: Math.round(promptScan / prompt.p50) },
    scanQueries,
    writeToSearchable: percentiles(writeSamples),
    diskEditToSearchable: percentiles(editSamples),
    idleCpuMsPer10s,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.log(JSON.stringify(result));
}

await main();
