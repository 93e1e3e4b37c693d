/**
 * What one search costs in the thread that answers it, against what its bounds cost in answers:
 * `SearchIndex.search` timed in-process (no thread hop, no HTTP) on the synthetic brains of
 * bench/corpus.ts, with several `SearchLimits` side by side in one process, and the labelled set's
 * nDCG@5 / recall@5 for each (bench/search-eval.ts, searched in-process with those limits).
 *
 *   node dist/bench/search-cost.js [--sizes 1000,10000,100000] [--corpora zipf,common]
 *     [--limits 20000/5000,3000/1000] [--baseline <another build's dist/>] [--reference 0]
 *     [--queries 300] [--no-quality]
 *
 * Each `--limits` entry is maxPostings/scoredWindow (1e9/1e9: unbounded, FTS5's exact bm25 over every
 * posting), optionally followed by /terms/commonShare/keptPostings (0 for the defaults of the first two;
 * keptPostings 0: no scored postings kept between searches). `--reference` is the entry, counted from 0 in the order printed, whose top 5 the others'
 * answers are compared with ("top-5 kept") and whose p50 they are divided by. `--baseline` puts first the SearchIndex of another build (an older
 * commit's, from `git worktree add`), with its own limits: old and new code side by side in one process.
 * Every query runs once under each, in an order that rotates from query to query, so load from other
 * work on the machine falls on all of them alike.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { Brain } from '../ingestion/index.js';
import { SEARCH_LIMITS, SearchIndex, type SearchLimits } from '../ingestion/search-index.js';
import { brainFor, CORPORA, keywordQuery, promptQuery, Rng, Vocabulary, type Corpus } from './corpus.js';
import { measureQuality } from './search-eval.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const sizes = option('sizes', '1000,10000,100000').split(',').map(Number);
const corpora = option('corpora', CORPORA.join(',')).split(',') as Corpus[];
const limitsList: SearchLimits[] = option('limits', `20000/5000,${SEARCH_LIMITS.maxPostings}/${SEARCH_LIMITS.scoredWindow}`)
  .split(',')
  .map((entry) => {
    const [maxPostings, scoredWindow, terms, commonShare, keptPostings] = entry.split('/').map(Number);
    return {
      maxPostings: maxPostings ?? 0,
      scoredWindow: scoredWindow ?? 0,
      ...(terms ? { terms } : {}),
      ...(commonShare ? { commonShare } : {}),
      ...(keptPostings !== undefined ? { keptPostings } : {}),
    };
  });
const queryCount = Number(option('queries', '300'));
const baselineDist = option('baseline', '');
const reference = Number(option('reference', '0'));
const label = (l: SearchLimits) =>
  [l.maxPostings, l.scoredWindow, ...(l.terms || l.commonShare ? [l.terms ?? 0] : []), ...(l.commonShare ? [l.commonShare] : [])].join('/') +
  (l.keptPostings === undefined ? '' : ` (${l.keptPostings} kept)`);

interface Searcher {
  search(query: { query: string; limit: number }): Array<{ path: string }>;
  close(): void;
}

/** The SearchIndex class of another build, which this file cannot name as a type. */
type Reader = { openReader(file: string): Searcher };
const baseline = baselineDist ? ((await import(join(baselineDist, 'ingestion', 'search-index.js'))) as { SearchIndex: Reader }).SearchIndex : null;
const names = [...(baseline ? ['baseline'] : []), ...limitsList.map(label)];

function openAll(file: string): Searcher[] {
  const own = limitsList.map((limits) => SearchIndex.openReader(file, limits));
  return [...(baseline ? [baseline.openReader(file)] : []), ...own] as Searcher[];
}

/**
 * A private, consistent copy of the brain's index (SQLite's backup API, so a writer elsewhere does not
 * matter): brain-bench throws the brain's own index away when it starts, possibly while this runs.
 */
async function indexCopy(notes: number, corpus: Corpus, vocab: Vocabulary): Promise<string> {
  const folder = join(tmpdir(), 'supervisor-search-cost');
  await mkdir(folder, { recursive: true });
  const copy = join(folder, `${corpus}-${notes}.sqlite`);
  if (existsSync(copy)) return copy;
  const { dir } = await brainFor(notes, vocab, corpus);
  const file = join(dir, '.index', 'brain.sqlite');
  if (!existsSync(file)) {
    const brain = await Brain.open(dir, pino({ level: 'silent' }));
    await brain.reconcile();
    await brain.close();
  }
  const source = new Database(file, { readonly: true });
  await source.backup(copy);
  source.close();
  return copy;
}

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const ms = (n: number) => n.toFixed(2);

async function main(): Promise<void> {
  const vocab = new Vocabulary();
  console.log(`load average at start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  console.log(`| notes | corpus | queries | limits | p50 ms | p99 ms | p50 / reference | top-5 kept |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const notes of sizes) {
    for (const corpus of corpora) {
      const file = await indexCopy(notes, corpus, vocab);
      const indexes = openAll(file);
      // The same queries as bench/brain-bench.ts draws.
      const rng = new Rng(2024);
      const keyword = Array.from({ length: queryCount }, () => keywordQuery(rng, vocab, corpus));
      const prompt = Array.from({ length: queryCount }, () => promptQuery(rng, vocab, corpus));
      for (const [kind, queries] of [['keyword', keyword], ['prompt', prompt]] as const) {
        // Warms the page cache and each connection's term caches, as a running brain has them.
        for (const index of indexes) for (const query of queries.slice(0, 30)) index.search({ query, limit: 5 });
        const samples = indexes.map((): number[] => []);
        const kept = indexes.map(() => 0);
        queries.forEach((query, q) => {
          const answers: string[][] = [];
          for (let k = 0; k < indexes.length; k++) {
            const i = (q + k) % indexes.length;
            const started = performance.now();
            const hits = indexes[i]?.search({ query, limit: 5 }) ?? [];
            samples[i]?.push(performance.now() - started);
            answers[i] = hits.map((hit) => hit.path);
          }
          const wanted = new Set(answers[reference]);
          answers.forEach((paths, i) => {
            kept[i] = (kept[i] ?? 0) + (wanted.size === 0 ? 1 : paths.filter((p) => wanted.has(p)).length / wanted.size);
          });
        });
        const base = percentile(samples[reference] ?? [], 0.5);
        names.forEach((name, i) => {
          const p50 = percentile(samples[i] ?? [], 0.5);
          const p99 = percentile(samples[i] ?? [], 0.99);
          const share = `${Math.round(((kept[i] ?? 0) / queries.length) * 100)} %`;
          console.log(`| ${notes} | ${corpus} | ${kind} | ${name} | ${ms(p50)} | ${ms(p99)} | ${(p50 / base).toFixed(2)} | ${share} |`);
        });
      }
      for (const index of indexes) index.close();
    }
  }
  console.log(`load average at end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  if (process.argv.includes('--no-quality')) return;
  console.log('\n| limits | keyword nDCG@5 / recall@5 | prompt | prompt as a consulting call | overall |');
  console.log('|---|---|---|---|---|');
  for (const limits of limitsList) {
    const r = await measureQuality(undefined, { limits });
    const f = (m: { ndcg: number; recall: number }) => `${m.ndcg.toFixed(3)} / ${m.recall.toFixed(3)}`;
    console.log(`| ${label(limits)} | ${f(r.keyword)} | ${f(r.prompt)} | ${f(r.consulting)} | ${f(r.overall)} |`);
  }
}

await main();
