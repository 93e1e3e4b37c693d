/**
 * What a search costs against the size of the note it finds: one note holding a one-letter word
 * repeated 1k, 10k, 100k and 1M times, searched for that word (limit 5). Three ways, in rounds that
 * alternate between them: the search as it is (ranking, then the excerpt chosen in one pass over the
 * body: search-index.ts), the old statement with FTS5's snippet() for the excerpt (quadratic in the
 * matches: measured up to OLD_MAX_REPEATS only, larger sizes extrapolated), and the ranking alone.
 * The index keeps the first 1 MiB of a body (ingestion/note-files.ts), so 1M repeats of "x " (2 MiB)
 * are searched as 524,288. Prints one JSON line; run by bench/run.ts, or alone:
 * `node dist/bench/excerpt-bench.js`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SearchIndex } from '../ingestion/search-index.js';
import { round } from './latency.js';

/** As MAX_INDEXED_CHARS in ingestion/note-files.ts: the part of a body the index keeps. */
const INDEXED_CHARS = 1 << 20;
const REPEATS = [1_000, 10_000, 100_000, 1_000_000];
/** snippet() takes about a second here and grows with the square of the repeats: past it, extrapolated. */
const OLD_MAX_REPEATS = 10_000;
const ROUNDS = 5;

export interface ExcerptSize {
  repeats: number;
  /** Matches in the indexed part of the body. */
  indexed: number;
  /** Median ms of a search: as it is now, with snippet() (null: not measured), ranking alone. */
  nowMs: number;
  snippetMs: number | null;
  /** snippet() extrapolated from the largest size measured, by the square of the matches. */
  snippetEstimateMs: number;
  rankOnlyMs: number;
  excerptChars: number;
}

export interface ExcerptResult {
  sizes: ExcerptSize[];
}

const RANKED = `SELECT n.id, n.path, -f.rank AS score %EXCERPT% FROM notes_fts f JOIN notes n ON n.id = f.rowid
  WHERE notes_fts MATCH ? AND f.rank MATCH 'bm25(10.0, 4.0, 1.0)' ORDER BY f.rank LIMIT 5`;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return round(sorted[Math.floor(sorted.length / 2)] ?? NaN);
}

function timed(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

async function measureSize(dir: string, repeats: number, oldMs: { repeats: number; ms: number } | null): Promise<ExcerptSize> {
  const file = join(dir, `x-${repeats}.sqlite`);
  const body = 'x '.repeat(repeats).slice(0, INDEXED_CHARS);
  const { index } = SearchIndex.open(file);
  index.apply([{ note: { path: 'x.md', title: 'Repeated', type: null, domain: null, tags: [], body, size: body.length, mtimeMs: 0, ino: 1, sha256: 'x' } }]);
  const raw = new Database(file, { readonly: true });
  const withSnippet = raw.prepare(RANKED.replace('%EXCERPT%', `, snippet(notes_fts, 2, '', '', '…', 40) AS excerpt`));
  const rankOnly = raw.prepare(RANKED.replace('%EXCERPT%', ''));
  const indexed = body.length / 2;
  const now: number[] = [];
  const old: number[] = [];
  const rank: number[] = [];
  let excerptChars = 0;
  index.search({ query: 'x', limit: 5 }); // the statements prepared, the stems learnt
  for (let i = 0; i < ROUNDS; i++) {
    now.push(timed(() => (excerptChars = index.search({ query: 'x', limit: 5 })[0]?.excerpt.length ?? 0)));
    if (repeats <= OLD_MAX_REPEATS) old.push(timed(() => withSnippet.all('"x"')));
    rank.push(timed(() => rankOnly.all('"x"')));
  }
  raw.close();
  index.close();
  const snippetMs = old.length > 0 ? median(old) : null;
  const basis = snippetMs !== null ? { repeats: indexed, ms: snippetMs } : oldMs;
  const snippetEstimateMs = basis ? round(basis.ms * (indexed / basis.repeats) ** 2) : NaN;
  return { repeats, indexed, nowMs: median(now), snippetMs, snippetEstimateMs, rankOnlyMs: median(rank), excerptChars };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'supervisor-excerpt-bench-'));
  const sizes: ExcerptSize[] = [];
  let basis: { repeats: number; ms: number } | null = null;
  try {
    for (const repeats of REPEATS) {
      const size = await measureSize(dir, repeats, basis);
      if (size.snippetMs !== null) basis = { repeats: size.indexed, ms: size.snippetMs };
      sizes.push(size);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ sizes } satisfies ExcerptResult));
}

await main();
