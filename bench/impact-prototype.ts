/**
 * PROTOTYPE, not production: a scorer of our own over impact-ordered postings, measured against
 * `SearchIndex.search` on the same index file, in the same process, query by query.
 *
 * Each (term, note) gets its BM25 term-frequency part as FTS5's bm25() computes it (fts5_aux.c,
 * fts5Bm25Function): f = 10·tf(title) + 4·tf(tags) + 1·tf(body), D = the note's tokens in all columns,
 * tfPart = f·(k1 + 1) / (f + k1·(1 − b + b·D / avgdl)), k1 = 1.2, b = 0.75. The IDF is not stored (it
 * drifts as notes are added): the query multiplies by max(ln((N − df + 0.5) / (df + 0.5)), 1e-6) from
 * the df the index already looks up. Rows are kept best first per term, so a query reads each chosen
 * term's top `depth` rows instead of scoring every posting, then sums and applies the coordination
 * factor (`-sum · matched / terms`) as `SearchIndex.search` does.
 *
 *   node dist/bench/impact-prototype.js [--sizes 10000,100000] [--corpora common,zipf]
 *     [--depths 100,300,1000,0] [--rescore 300/30] [--fts detail=column,detail=none] [--queries 200] [--rebuild]
 *     [--folder <copies>] [--avgdl-scale 1]
 *
 * It needs the indexes bench/search-scale-quality.ts leaves in the temp folder (the labelled set hidden
 * among synthetic notes): run that first. It copies each (SQLite backup) and adds the impact table to the
 * copy, timed; `depth` 0 reads every row (exact bm25 of our own, the check that the formula is FTS5's).
 * `--rescore N/R`: the top N rows a term, then the R best candidates scored exactly from an index by note
 * (`impact_note`, added to the copy and timed): a candidate missing from some term's top N gets that
 * term's part and its count back. `--fts`: copies whose notes_fts has other FTS5 options, searched by
 * today's `SearchIndex` as they are (what bm25 then computes, and what it costs).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import type { SearchHit } from '../common/brain-contract.js';
import { CANDIDATE_QUERY_TERMS, queryTerms } from '../common/query-terms.js';
import { toIndexed } from '../ingestion/note-files.js';
import { SEARCH_LIMITS, SearchIndex, type IndexedNote, type SearchLimits } from '../ingestion/search-index.js';
import { firstTerms } from '../src/consult/knowledge.js';
import { keywordQuery, promptQuery, Rng, Vocabulary, type Corpus } from './corpus.js';
import { CUTOFF, evalSetDir, listNotes, loadQueries, ndcgAt, recallAt } from './search-eval.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const sizes = option('sizes', '10000,100000').split(',').map(Number);
const corpora = option('corpora', 'common,zipf').split(',') as Corpus[];
const depths = option('depths', '100,300,1000,0').split(',').map(Number);
const rescores = option('rescore', '')
  .split(',')
  .filter(Boolean)
  .map((entry) => entry.split('/').map(Number) as [number, number]);
const ftsOptions = option('fts', '').split(',').filter(Boolean);
/**
 * The impact rows written with avgdl × this (with its own --folder): how far the ranking moves when notes
 * were scored at another average length than the brain has now, as stored tf parts drift when it grows.
 */
const avgdlScale = Number(option('avgdl-scale', '1'));
/** Where the copies are made and kept between runs. */
const folder = option('folder', join(tmpdir(), 'impact-prototype'));
const queryCount = Number(option('queries', '200'));
const TOKENIZE = `porter unicode61 remove_diacritics 2`;
const K1 = 1.2;
const B = 0.75;
/** bm25(10.0, 4.0, 1.0) over (title, tags, body), as ingestion/search-index.ts ranks. */
const WEIGHTS: Record<string, number> = { title: 10, tags: 4, body: 1 };
/** tfPart ≤ k1 + 1 = 2.2: stored ×10,000 as an integer, two bytes in SQLite's record instead of eight. */
const SCALE = 10_000;
const UNBOUNDED: SearchLimits = { maxPostings: 1e9, scoredWindow: 1e9 };

/** SearchIndex's private steps this prototype reuses as they are, so the terms and excerpts are the production ones. */
interface Internals {
  selectiveTerms(terms: string[]): Array<{ term: string; df: number }>;
  tokens(terms: string[]): Map<string, string[]>;
  withExcerpts(rows: Array<{ id: number; path: string; title: string; sha256: string; score: number }>, chosen: Array<{ term: string; df: number }>): SearchHit[];
  noteCount: number;
}

/**
 * The impact table: best first within a term (the primary key's order), so a term's top rows are one
 * range read. Delete needs no second index: a note's old rows are found by tokenizing its old text again
 * and recomputing the keys with the K it was written with (impact_doc).
 */
const IMPACT_SCHEMA = `
  CREATE TABLE impact (term TEXT NOT NULL, score INTEGER NOT NULL, note INTEGER NOT NULL, PRIMARY KEY (term, score DESC, note)) WITHOUT ROWID;
  CREATE TABLE impact_doc (note INTEGER PRIMARY KEY, k REAL NOT NULL);
`;

/** Tokenizes a note as notes_fts does (same tokenizer), answering each token's weighted frequency f and the note's length D. */
class NoteTokenizer {
  private readonly db = new Database(':memory:');
  private readonly insert;
  private readonly read;
  private readonly clear;
  constructor() {
    this.db.exec(`CREATE VIRTUAL TABLE p USING fts5(title, tags, body, content = '', tokenize = '${TOKENIZE}');
      CREATE VIRTUAL TABLE p_inst USING fts5vocab(p, 'instance');`);
    this.insert = this.db.prepare('INSERT INTO p (rowid, title, tags, body) VALUES (1, ?, ?, ?)');
    this.read = this.db.prepare('SELECT term, col, count(*) AS n FROM p_inst GROUP BY term, col').raw();
    this.clear = this.db.prepare(`INSERT INTO p (p) VALUES ('delete-all')`);
  }
  frequencies(title: string, tags: string, body: string): { f: Map<string, number>; length: number } {
    this.insert.run(title, tags, body);
    const rows = this.read.all() as Array<[string, string, number]>;
    this.clear.run();
    const f = new Map<string, number>();
    let length = 0;
    for (const [term, col, n] of rows) {
      f.set(term, (f.get(term) ?? 0) + n * (WEIGHTS[col] ?? 1));
      length += n;
    }
    return { f, length };
  }
  close(): void {
    this.db.close();
  }
}

/** FTS5's denominator term for a note of `length` tokens: k1·(1 − b + b·D / avgdl). */
const normOf = (length: number, avgdl: number) => K1 * (1 - B + (B * length) / avgdl);
const impactOf = (f: number, k: number) => Math.round(((f * (K1 + 1)) / (f + k)) * SCALE);

/** Average note length in tokens over all columns (FTS5's avgdl), from its own docsize records (a varint per column). */
function averageLength(db: Database.Database): number {
  let total = 0;
  let rows = 0;
  for (const blob of db.prepare('SELECT sz FROM notes_fts_docsize').pluck().iterate() as IterableIterator<Buffer>) {
    let at = 0;
    // SQLite's varint: 7 bits a byte, most significant first, the high bit set on all but the last.
    while (at < blob.length) {
      let value = 0;
      let byte: number;
      do {
        byte = blob[at++] ?? 0;
        value = value * 128 + (byte & 0x7f);
      } while (byte & 0x80);
      total += value;
    }
    rows++;
  }
  return rows === 0 ? 1 : total / rows;
}

/** Writes one note's impact rows (after deleting those it had): the write path a /write would take. */
class ImpactWriter {
  private readonly tokenizer = new NoteTokenizer();
  private readonly insert;
  private readonly remove;
  private readonly docInsert;
  private readonly docRead;
  private readonly content;
  constructor(
    private readonly db: Database.Database,
    private readonly avgdl: number,
  ) {
    this.insert = db.prepare('INSERT INTO impact (term, score, note) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM impact WHERE term = ? AND score = ? AND note = ?');
    this.docInsert = db.prepare('INSERT OR REPLACE INTO impact_doc (note, k) VALUES (?, ?)');
    this.docRead = db.prepare('SELECT k FROM impact_doc WHERE note = ?').pluck();
    this.content = db.prepare('SELECT title, tags, body FROM notes_fts WHERE rowid = CAST(? AS INTEGER)').raw();
  }
  /** Indexes note `id` from its text as notes_fts holds it. */
  write(id: number, title: string, tags: string, body: string): number {
    const { f, length } = this.tokenizer.frequencies(title, tags, body);
    const k = normOf(length, this.avgdl);
    for (const [term, freq] of f) this.insert.run(term, impactOf(freq, k), id);
    this.docInsert.run(id, k);
    return f.size;
  }
  /** Removes note `id`'s rows: its old text tokenized again, the keys recomputed with the K it was written with. */
  forget(id: number): void {
    const k = this.docRead.get(id) as number | undefined;
    const row = this.content.get(id) as [string, string, string] | undefined;
    if (k === undefined || !row) return;
    const { f } = this.tokenizer.frequencies(...row);
    for (const [term, freq] of f) this.remove.run(term, impactOf(freq, k), id);
  }
  /** Every note of notes_fts, 2,000 to a transaction as the writer thread batches. */
  buildAll(): { notes: number; rows: number } {
    const all = this.db.prepare('SELECT rowid, title, tags, body FROM notes_fts').raw().all() as Array<[number, string, string, string]>;
    let rows = 0;
    for (let i = 0; i < all.length; i += 2000) {
      this.db.transaction(() => {
        for (const [id, title, tags, body] of all.slice(i, i + 2000)) rows += this.write(id, title, tags, body);
      })();
    }
    return { notes: all.length, rows };
  }
  close(): void {
    this.tokenizer.close();
  }
}

/** The prototype search: the production term choice and excerpts, our own scoring over each term's top rows. */
class ImpactSearch {
  private readonly inner: Internals;
  private readonly top;
  private readonly all;
  private readonly note;
  private readonly db: Database.Database;
  private readonly exactStatements = new Map<number, Database.Statement>();
  constructor(
    private readonly index: SearchIndex,
    db: Database.Database,
    private readonly depth: number,
    /** Candidates scored exactly after the top-`depth` pass (0: none). */
    private readonly rescore = 0,
  ) {
    this.inner = index as unknown as Internals;
    this.db = db;
    this.top = db.prepare('SELECT note, score FROM impact WHERE term = ? ORDER BY score DESC LIMIT ?').raw();
    this.all = db.prepare('SELECT note, score FROM impact WHERE term = ?').raw();
    this.note = db.prepare('SELECT id, path, title, sha256 FROM notes WHERE id = ?');
  }
  search(query: { query: string; limit: number }): SearchHit[] {
    const chosen = this.inner.selectiveTerms(queryTerms(query.query, CANDIDATE_QUERY_TERMS));
    if (chosen.length === 0) return [];
    const stems = this.inner.tokens(chosen.map((t) => t.term));
    const n = this.inner.noteCount;
    const acc = new Map<number, { sum: number; count: number }>();
    for (const { term, df } of chosen) {
      // A term FTS5 splits into several tokens is a phrase there; here its first token stands for it (rare in queries).
      const token = stems.get(term)?.[0];
      if (token === undefined) continue;
      const idf = Math.max(Math.log((n - df + 0.5) / (df + 0.5)), 1e-6) / SCALE;
      const rows = (this.depth > 0 ? this.top.all(token, this.depth) : this.all.all(token)) as Array<[number, number]>;
      for (const [id, score] of rows) {
        const entry = acc.get(id);
        if (entry) {
          entry.sum += score * idf;
          entry.count++;
        } else acc.set(id, { sum: score * idf, count: 1 });
      }
    }
    const terms = chosen.length;
    if (this.rescore > 0) this.rescoreBest(acc, chosen, stems, n);
    const best: Array<[number, number]> = [];
    for (const [id, { sum, count }] of acc) {
      const score = (sum * count) / terms;
      if (best.length < query.limit || score > (best[best.length - 1]?.[1] ?? 0)) {
        best.push([id, score]);
        best.sort((a, b) => b[1] - a[1]);
        if (best.length > query.limit) best.pop();
      }
    }
    const rows = best.map(([id, score]) => ({ ...(this.note.get(id) as { id: number; path: string; title: string; sha256: string }), score }));
    return this.inner.withExcerpts(rows, chosen);
  }

  /**
   * The `rescore` best candidates of the first pass get their exact sum and count: every chosen term
   * they hold, read by note (impact_note), not only the terms whose top rows they were in. Every
   * other candidate keeps its partial score, which can only be lower than its exact one.
   */
  private rescoreBest(acc: Map<number, { sum: number; count: number }>, chosen: Array<{ term: string; df: number }>, stems: Map<string, string[]>, n: number): void {
    // Two query terms with one stem ("retry", "retries") count twice, as two FTS5 statements count them.
    const idfs = new Map<string, { idf: number; terms: number }>();
    for (const { term, df } of chosen) {
      const token = stems.get(term)?.[0];
      if (token === undefined) continue;
      const known = idfs.get(token) ?? { idf: 0, terms: 0 };
      idfs.set(token, { idf: known.idf + Math.max(Math.log((n - df + 0.5) / (df + 0.5)), 1e-6) / SCALE, terms: known.terms + 1 });
    }
    const tokens = [...idfs.keys()];
    const candidates = [...acc].sort((a, b) => b[1].sum * b[1].count - a[1].sum * a[1].count).slice(0, this.rescore);
    // One statement for all candidates × terms: SQLite seeks each (note, term) pair itself, without a
    // statement run per candidate (measured: one per candidate cost about twice as much).
    const key = candidates.length * 1000 + tokens.length;
    let statement = this.exactStatements.get(key);
    if (!statement) {
      const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');
      const sql = `SELECT note, term, score FROM impact INDEXED BY impact_note WHERE note IN (${list(candidates.length)}) AND term IN (${list(tokens.length)})`;
      statement = this.db.prepare(sql).raw();
      this.exactStatements.set(key, statement);
    }
    for (const [, entry] of candidates) {
      entry.sum = 0;
      entry.count = 0;
    }
    for (const [id, token, score] of statement.all(...candidates.map(([id]) => id), ...tokens) as Array<[number, string, number]>) {
      const entry = acc.get(id);
      if (!entry) continue;
      const weight = idfs.get(token);
      entry.sum += score * (weight?.idf ?? 0);
      entry.count += weight?.terms ?? 0;
    }
  }
}

const logger = pino({ level: 'silent' });
const sourceOf = (notes: number, corpus: Corpus) => join(tmpdir(), 'supervisor-search-cost', `mixed-${corpus}-${notes}.sqlite`);

/** The labelled set alone, indexed as search-scale-quality indexes it (no synthetic notes). */
async function labelledIndex(setDir: string): Promise<string> {
  const file = join(folder, 'labelled.sqlite');
  if (existsSync(file)) return file;
  const stamp = { size: 0, mtimeMs: 0, ino: 0 };
  const notes: IndexedNote[] = [];
  for (const path of await listNotes(setDir)) notes.push(toIndexed(path, await readFile(join(setDir, 'notes', path), 'utf8'), path, stamp, logger));
  const { index } = SearchIndex.open(file);
  index.apply(notes.map((note) => ({ note })));
  index.close();
  return file;
}

interface Built {
  file: string;
  buildMs: number;
  /** Building impact_note (by note, for --rescore), and the bytes it adds; 0 when not asked for. */
  noteIndexMs: number;
  noteIndexBytes: number;
  /** Other FTS5 options: each copy's file, the time to fill its notes_fts, and its size. */
  fts: Array<{ option: string; file: string; buildMs: number; bytes: number }>;
  rows: number;
  extraBytes: number;
  writeMs: number[];
  /** The same notes rewritten in notes_fts alone (what a /write costs the index today, less the notes row). */
  ftsWriteMs: number[];
}

/** `source` copied to `file` with SQLite's backup (brain-bench deletes a brain's own index when it starts). */
async function copyIndex(source: string, file: string): Promise<void> {
  await rm(file, { force: true });
  const from = new Database(source, { readonly: true });
  await from.backup(file);
  from.close();
}

/** An index copy opened for a bulk build: WAL, no fsync per transaction, a 64 MiB page cache. */
function openForWrites(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  return db;
}

/** A copy of `source` with the impact table added; the build timed, the size it adds, and single-note rewrites timed. */
async function impactCopy(source: string, name: string): Promise<Built> {
  await mkdir(folder, { recursive: true });
  const file = join(folder, `${name}.sqlite`);
  if (process.argv.includes('--rebuild') || !existsSync(file)) await copyIndex(source, file);
  const db = openForWrites(file);
  const before = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  let buildMs = 0;
  let rows = 0;
  const fresh = db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'impact'`).pluck().get() === 0;
  const avgdl = averageLength(db) * avgdlScale;
  if (fresh) {
    const started = performance.now();
    db.exec(IMPACT_SCHEMA);
    const writer = new ImpactWriter(db, avgdl);
    rows = writer.buildAll().rows;
    writer.close();
    db.pragma('wal_checkpoint(TRUNCATE)');
    buildMs = performance.now() - started;
  }
  const bytesNow = () => (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  const pages = bytesNow();
  let noteIndexMs = 0;
  let noteIndexBytes = 0;
  if (rescores.length > 0 && db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'impact_note'`).pluck().get() === 0) {
    const started = performance.now();
    // (note, term): the table's key (term, score, note) rides along, so the index alone answers a candidate's terms.
    db.exec('CREATE INDEX impact_note ON impact (note, term)');
    db.pragma('wal_checkpoint(TRUNCATE)');
    noteIndexMs = performance.now() - started;
    noteIndexBytes = bytesNow() - pages;
  }
  // What one /write adds: forget the note's rows and write them again, one transaction each (a note
  // rewritten as it was), beside what the same rewrite costs notes_fts today, alternating.
  const writer = new ImpactWriter(db, avgdl);
  const byNote = db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'impact_note'`).pluck().get() === 1;
  const deleteByNote = db.prepare('DELETE FROM impact WHERE note = ?');
  const ftsDelete = db.prepare('DELETE FROM notes_fts WHERE rowid = CAST(? AS INTEGER)');
  const ftsInsert = db.prepare('INSERT INTO notes_fts (rowid, title, tags, body) VALUES (CAST(? AS INTEGER), ?, ?, ?)');
  // Spread through the ids: the first notes of a brain are no more typical than the last.
  const ids = db.prepare('SELECT rowid, title, tags, body FROM notes_fts WHERE rowid % 97 = 3 LIMIT 60').raw().all() as Array<[number, string, string, string]>;
  const writeMs: number[] = [];
  const ftsWriteMs: number[] = [];
  for (const [id, title, tags, body] of ids) {
    let started = performance.now();
    db.transaction(() => {
      // With the index by note its rows are found there; without it, by tokenizing the old text again.
      if (byNote) deleteByNote.run(id);
      else writer.forget(id);
      writer.write(id, title, tags, body);
    })();
    writeMs.push(performance.now() - started);
    started = performance.now();
    db.transaction(() => {
      ftsDelete.run(id);
      ftsInsert.run(id, title, tags, body);
    })();
    ftsWriteMs.push(performance.now() - started);
  }
  writer.close();
  const extraBytes = fresh ? pages - before : impactBytes(db);
  db.close();
  const fts = [];
  for (const ftsOption of ftsOptions) fts.push(await ftsCopy(source, `${name}-${ftsOption.replace(/\W+/g, '-')}`, ftsOption));
  return { file, buildMs, noteIndexMs, noteIndexBytes, rows, extraBytes, writeMs, ftsWriteMs, fts };
}

/**
 * A copy of `source` whose notes_fts is made again with `ftsOption` (e.g. detail=column), filled from
 * the source's in 2,000-note transactions as the writer fills it; everything else is as it was.
 */
async function ftsCopy(source: string, name: string, ftsOption: string): Promise<{ option: string; file: string; buildMs: number; bytes: number }> {
  const file = join(folder, `${name}.sqlite`);
  let buildMs = 0;
  if (process.argv.includes('--rebuild') || !existsSync(file)) {
    await copyIndex(source, file);
    const db = openForWrites(file);
    db.exec(`DROP TABLE notes_vocab; DROP TABLE notes_fts; VACUUM;`);
    db.prepare('ATTACH DATABASE ? AS src').run(source);
    const ids = db.prepare('SELECT rowid FROM src.notes_fts ORDER BY rowid').pluck().all() as number[];
    const started = performance.now();
    db.exec(`CREATE VIRTUAL TABLE notes_fts USING fts5(title, tags, body, tokenize = '${TOKENIZE}', ${ftsOption});
      CREATE VIRTUAL TABLE notes_vocab USING fts5vocab(notes_fts, 'row');`);
    const copy = db.prepare('INSERT INTO notes_fts (rowid, title, tags, body) SELECT rowid, title, tags, body FROM src.notes_fts WHERE rowid BETWEEN ? AND ?');
    for (let i = 0; i < ids.length; i += 2000) copy.run(ids[i], ids[Math.min(i + 1999, ids.length - 1)]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    buildMs = performance.now() - started;
    db.exec('DETACH DATABASE src');
    db.close();
  }
  return { option: ftsOption, file, buildMs, bytes: statSync(file).size };
}

/** Bytes of the impact tables in a file built earlier (dbstat may be missing: then page share unknown, 0). */
function impactBytes(db: Database.Database): number {
  try {
    return db.prepare(`SELECT sum(pgsize) FROM dbstat WHERE name IN ('impact', 'impact_doc', 'sqlite_autoindex_impact_doc_1')`).pluck().get() as number;
  } catch {
    return 0;
  }
}

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

interface Searcher {
  name: string;
  search(query: { query: string; limit: number }): SearchHit[];
}

/** The searchers compared on one file: today's search, FTS5's exact bm25 (every posting), and the prototype per depth. */
function searchersFor(file: string, fts: Built['fts'] = []): { searchers: Searcher[]; close(): void } {
  const current = SearchIndex.openReader(file);
  const exact = SearchIndex.openReader(file, UNBOUNDED);
  const db = new Database(file, { readonly: true });
  db.pragma('cache_size = -32768');
  const searchers: Searcher[] = [
    { name: `current ${SEARCH_LIMITS.maxPostings}/${SEARCH_LIMITS.scoredWindow}`, search: (q) => current.search(q) },
    { name: 'fts5 exact', search: (q) => exact.search(q) },
  ];
  const own: SearchIndex[] = [];
  for (const variant of fts) {
    const index = SearchIndex.openReader(variant.file);
    const exactVariant = SearchIndex.openReader(variant.file, UNBOUNDED);
    own.push(index, exactVariant);
    searchers.push({ name: `current, ${variant.option}`, search: (q) => index.search(q) });
    searchers.push({ name: `fts5 exact, ${variant.option}`, search: (q) => exactVariant.search(q) });
  }
  for (const [depth, rescore] of rescores) {
    const index = SearchIndex.openReader(file, UNBOUNDED);
    own.push(index);
    const impact = new ImpactSearch(index, db, depth, rescore);
    searchers.push({ name: `impact top ${depth} + rescore ${rescore}`, search: (q) => impact.search(q) });
  }
  for (const depth of depths) {
    // Each its own SearchIndex (its caches warm as a reader's are), the terms chosen without the postings bounds:
    // the impact read costs depth rows a term, not df.
    const index = SearchIndex.openReader(file, UNBOUNDED);
    own.push(index);
    const impact = new ImpactSearch(index, db, depth);
    searchers.push({ name: `impact top ${depth === 0 ? 'all' : depth}`, search: (q) => impact.search(q) });
  }
  return {
    searchers,
    close: () => {
      current.close();
      exact.close();
      for (const index of own) index.close();
      db.close();
    },
  };
}

/** nDCG@5 / recall@5 of every searcher on the labelled queries (as typed, and prompts as a consulting call sends them). */
async function quality(b: Built, label: string): Promise<void> {
  const queries = await loadQueries(evalSetDir());
  const { searchers, close } = searchersFor(b.file, b.fts);
  for (const s of searchers) {
    const by: Record<string, Array<{ ndcg: number; recall: number }>> = { keyword: [], prompt: [], consulting: [] };
    const ms: number[] = [];
    for (const q of queries) {
      const modes: Array<[string, string]> = q.kind === 'prompt' ? [['prompt', q.query], ['consulting', firstTerms(q.query)]] : [['keyword', q.query]];
      for (const [mode, text] of modes) {
        const started = performance.now();
        const ranked = text ? s.search({ query: text, limit: CUTOFF }).map((h) => h.path) : [];
        if (mode === 'prompt') ms.push(performance.now() - started);
        by[mode]?.push({ ndcg: ndcgAt(ranked, q.relevant), recall: recallAt(ranked, q.relevant) });
      }
    }
    const mean = (list: Array<{ ndcg: number; recall: number }>) =>
      `${(list.reduce((a, x) => a + x.ndcg, 0) / list.length).toFixed(3)} / ${(list.reduce((a, x) => a + x.recall, 0) / list.length).toFixed(3)}`;
    const k = by.keyword ?? [];
    const p = by.prompt ?? [];
    console.log(`| ${label} | ${s.name} | ${mean(k)} | ${mean(p)} | ${mean(by.consulting ?? [])} | ${mean([...k, ...p])} |`);
  }
  close();
}

/** p50 / p99 per searcher on the synthetic queries, each query run by all in an order rotating from query to query. */
function speed(b: Built, notes: number, corpus: Corpus, vocab: Vocabulary): void {
  const { searchers, close } = searchersFor(b.file, b.fts);
  const rng = new Rng(2024);
  const keyword = Array.from({ length: queryCount }, () => keywordQuery(rng, vocab, corpus));
  const prompt = Array.from({ length: queryCount }, () => promptQuery(rng, vocab, corpus));
  for (const [kind, queries] of [['keyword', keyword], ['prompt', prompt]] as const) {
    for (const s of searchers) for (const query of queries.slice(0, 30)) s.search({ query, limit: 5 });
    const samples = searchers.map((): number[] => []);
    const keptCurrent = searchers.map(() => 0);
    const keptExact = searchers.map(() => 0);
    queries.forEach((query, q) => {
      const answers: string[][] = [];
      for (let k = 0; k < searchers.length; k++) {
        const i = (q + k) % searchers.length;
        const started = performance.now();
        const hits = searchers[i]?.search({ query, limit: 5 }) ?? [];
        samples[i]?.push(performance.now() - started);
        answers[i] = hits.map((h) => h.path);
      }
      const share = (ref: string[] | undefined, paths: string[]) => {
        const wanted = new Set(ref);
        return wanted.size === 0 ? 1 : paths.filter((p) => wanted.has(p)).length / wanted.size;
      };
      answers.forEach((paths, i) => {
        keptCurrent[i] = (keptCurrent[i] ?? 0) + share(answers[0], paths);
        keptExact[i] = (keptExact[i] ?? 0) + share(answers[1], paths);
      });
    });
    const base = percentile(samples[0] ?? [], 0.5);
    searchers.forEach((s, i) => {
      const p50 = percentile(samples[i] ?? [], 0.5);
      const pct = (x: number) => `${Math.round((x / queries.length) * 100)} %`;
      console.log(
        `| ${notes} | ${corpus} | ${kind} | ${s.name} | ${p50.toFixed(2)} | ${percentile(samples[i] ?? [], 0.99).toFixed(2)} | ${(p50 / base).toFixed(2)} | ${pct(keptCurrent[i] ?? 0)} | ${pct(keptExact[i] ?? 0)} |`,
      );
    });
  }
  close();
}

async function main(): Promise<void> {
  const vocab = new Vocabulary();
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`load average at start: ${load()}`);
  const built: Array<[string, Built]> = [];
  const labelled = await impactCopy(await labelledIndex(evalSetDir()), 'labelled-impact');
  built.push(['labelled 321', labelled]);
  for (const notes of sizes) {
    for (const corpus of corpora) {
      const source = sourceOf(notes, corpus);
      if (!existsSync(source)) throw new Error(`${source} is missing: run node dist/bench/search-scale-quality.js --sizes ${notes} --corpora ${corpus} first`);
      built.push([`${notes} ${corpus}`, await impactCopy(source, `mixed-${corpus}-${notes}-impact`)]);
    }
  }
  console.log('\n| index | impact build s | rows | impact bytes | file bytes | rewrite one note: impact p50 / p99 ms | notes_fts p50 / p99 ms | impact_note s / bytes |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [label, b] of built) {
    console.log(
      `| ${label} | ${(b.buildMs / 1000).toFixed(1)} | ${b.rows} | ${b.extraBytes} | ${statSync(b.file).size} | ${percentile(b.writeMs, 0.5).toFixed(2)} / ${percentile(b.writeMs, 0.99).toFixed(2)} | ${percentile(b.ftsWriteMs, 0.5).toFixed(2)} / ${percentile(b.ftsWriteMs, 0.99).toFixed(2)} | ${(b.noteIndexMs / 1000).toFixed(1)} / ${b.noteIndexBytes} |`,
    );
    for (const f of b.fts) console.log(`| ${label}, ${f.option} | fill notes_fts ${(f.buildMs / 1000).toFixed(1)} s | | | ${f.bytes} | | | |`);
  }
  console.log('\n| index | searcher | keyword nDCG@5 / recall@5 | prompt | prompt as a consulting call | overall |');
  console.log('|---|---|---|---|---|---|');
  for (const [label, b] of built) await quality(b, label);
  console.log(`\nload average: ${load()}`);
  console.log('\n| notes | corpus | queries | searcher | p50 ms | p99 ms | p50 / current | top-5 of current kept | top-5 of exact kept |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [label, b] of built.slice(1)) {
    const [notes, corpus] = label.split(' ');
    speed(b, Number(notes), corpus as Corpus, vocab);
  }
  console.log(`load average at end: ${load()}`);
}

await main();
