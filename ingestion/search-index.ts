/**
 * The brain's search index: SQLite FTS5 through better-sqlite3, derived from the markdown files and
 * rebuilt from them whenever it is missing, outdated or unreadable. Why FTS5: docs/search.md.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { NoteListing, NoteListQuery, NoteSummary, QueryBody, SearchHit } from '../common/brain-contract.js';
import { queryTerms, CANDIDATE_QUERY_TERMS } from '../common/query-terms.js';
import { bestPassage, TermMatcher, tidyExcerpt } from './excerpt.js';
import { ScoreBoard, TermPostingsStore, type TermPostings } from './term-postings.js';
import type { MalformedNote } from './malformed-notes.js';
import type { StampRow } from './stamp-check.js';

/** What identifies one version of a file on disk; a different stamp means the file must be re-read. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface IndexedNote extends FileStamp {
  path: string;
  title: string;
  type: string | null;
  domain: string | null;
  tags: string[];
  body: string;
  /** SHA-256 (lowercase hex) of the whole file as read, whatever part of it is indexed. */
  sha256: string;
  /** Why its frontmatter was not used (it is indexed by its body); absent when it parses. */
  problem?: string | undefined;
}

/** One change to the index: a note (re)indexed, or the note at a path forgotten. */
export type IndexChange = { note: IndexedNote } | { remove: string };

/**
 * What a batch of changes did: the note count after it, how many notes it added, changed (new
 * content) or removed, and how many indexed notes have frontmatter that does not parse after it.
 */
export interface ApplyResult {
  count: number;
  changed: number;
  malformed: number;
}

/** `SearchIndex.stamps()`: position i of each column describes `paths[i]`. */
export interface StampColumns {
  paths: string[];
  size: Float64Array;
  mtimeMs: Float64Array;
  ino: Float64Array;
}

/** A search as checked by the contract's QueryBody, its tags as a list without leading #. */
export interface SearchQuery extends Omit<QueryBody, 'tags'> {
  /** Every tag listed must be on the note (case-insensitive). */
  tags?: string[] | undefined;
}


// Bump when the schema or the tokenizer changes: an index of another version is thrown away and
// rebuilt from the files at start (`open`), so no migration is ever written. 4 keeps each note's
// frontmatter problem, so the web page lists notes that do not parse across restarts.
export const SCHEMA_VERSION = 4;
/** FTS5's tokenizer for the notes (exported for the tests that check what it makes of words). */
export const TOKENIZE = `porter unicode61 remove_diacritics 2`;
/**
 * Of a query's terms, the most selective (fewest notes) that are searched: each further term costs a
 * read of its postings and adds little to the ranking once the rare ones are in. Measured: docs/search.md.
 */
export const SEARCH_TERMS = 32;
/** A term found in more than this share of the notes is dropped (its IDF is about zero) while another remains. */
export const COMMON_TERM_SHARE = 0.5;
/** Bounds on what one query scores, so its cost stays bounded however large the brain grows. Measured: docs/search.md. */
export interface SearchLimits {
  /** Postings scored in all: terms past it (the most common of a long prompt) are dropped. */
  maxPostings: number;
  /** A term held by more notes than this is scored in the newest of them only (the rarest term may be that common). */
  scoredWindow: number;
  /** Terms searched at most (SEARCH_TERMS unless a bench tries another). */
  terms?: number;
  /** Share of the notes past which a term is dropped (COMMON_TERM_SHARE unless a bench tries another). */
  commonShare?: number;
  /** Scored postings kept between searches (KEPT_POSTINGS unless a bench tries another; 0 keeps none). */
  keptPostings?: number;
}
export const SEARCH_LIMITS: SearchLimits = { maxPostings: 20_000, scoredWindow: 5_000 };
/**
 * Terms whose stems and frequencies are remembered: a term is tokenized and looked up once, not at
 * every query. A team's prompts use tens of thousands of words (the benches' 30,000-word vocabulary
 * kept a cache of 10,000 probing new words at every call: ~0.5 ms of a consulting call's search);
 * 50,000 terms hold ~10 MB per reader thread.
 */
const TERM_CACHE_SIZE = 50_000;
// bm25 column weights for (title, tags, body): a word in the title says most about what a note is.
const RANK = 'bm25(10.0, 4.0, 1.0)';
/** The query's terms the excerpt is chosen by: the rarest of those searched. */
const EXCERPT_TERMS = 8;
/** A word FTS5's unicode61 tokenizer keeps whole, as exactly one token (see `tokens`). */
const ASCII_WORD = /^[A-Za-z0-9]+$/;

const SCHEMA = `
  CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    type TEXT,
    domain TEXT,
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    ino INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    -- Why the frontmatter was not used (NULL: it parses), and when the index last read it so (ms).
    problem TEXT,
    problem_seen_ms REAL
  );
  CREATE INDEX notes_type ON notes(type COLLATE NOCASE);
  -- Only the notes that do not parse: counting and listing them newest first reads nothing else.
  CREATE INDEX notes_problem ON notes(problem_seen_ms) WHERE problem IS NOT NULL;
  CREATE INDEX notes_domain ON notes(domain COLLATE NOCASE);
  CREATE TABLE note_tags (tag TEXT NOT NULL, note_id INTEGER NOT NULL, PRIMARY KEY (tag, note_id)) WITHOUT ROWID;
  CREATE INDEX note_tags_note ON note_tags(note_id);
  CREATE VIRTUAL TABLE notes_fts USING fts5(title, tags, body, tokenize = '${TOKENIZE}');
  -- One row per indexed token with the number of notes holding it: a query keeps its selective terms.
  CREATE VIRTUAL TABLE notes_vocab USING fts5vocab(notes_fts, 'row');
  PRAGMA user_version = ${SCHEMA_VERSION};
`;

type Statement = Database.Statement<unknown[], unknown>;

export class SearchIndex {
  private readonly statements = new Map<string, Statement>();
  /** Query term → the index tokens FTS5's tokenizer makes of it (usually one porter stem). */
  private readonly stems = new Map<string, string[]>();
  /** Positive document frequencies by query term, and the note count (see `refreshCounts`). */
  private dfs = new Map<string, number>();
  private noteCount = -1;
  private cachedAt = '';
  /** `changes` and the note count when `dfs` was last emptied. */
  private dfsChanges = 0;
  private dfsNoteCount = -1;
  /** Changes made through this connection; `PRAGMA data_version` tells of other connections' commits. */
  private changes = 0;
  private probe: { db: Database.Database; insert: Statement; read: Statement; clear: Statement } | undefined;
  /** Each searched term's scored postings, until the index changes (emptied by `refreshCounts`). */
  private readonly kept: TermPostingsStore;
  private readonly board = new ScoreBoard();
  /** The note count as the writer's own changes left it (see `apply`); undefined until first needed. */
  private notes: number | undefined;
  /** The same for the notes whose frontmatter does not parse. */
  private malformed: number | undefined;

  private constructor(
    private readonly db: Database.Database,
    private readonly limits = SEARCH_LIMITS,
  ) {
    this.kept = new TermPostingsStore(limits.keptPostings);
  }

  /**
   * Opens the index at `file` (`:memory:` for none on disk). An index that is corrupt or of another
   * schema version is thrown away and created empty; `rebuilt` tells the caller so.
   */
  static open(file: string, limits = SEARCH_LIMITS): { index: SearchIndex; rebuilt: boolean; reason?: string } {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    let db: Database.Database | undefined;
    try {
      db = openDatabase(file);
      const version = db.pragma('user_version', { simple: true });
      if (version === SCHEMA_VERSION) {
        const index = new SearchIndex(db, limits);
        // Read now what a start reads first: a damaged file is found here, not by the first caller.
        index.count();
        return { index, rebuilt: false };
      }
      const fresh = version === 0 && db.prepare(`SELECT count(*) AS n FROM sqlite_master`).pluck().get() === 0;
      db.close();
      return {
        index: SearchIndex.recreate(file, limits),
        rebuilt: true,
        ...(fresh ? {} : { reason: `index schema ${String(version)} is not ${SCHEMA_VERSION}` }),
      };
    } catch (error) {
      // A derived index is never worth failing for: the files are the truth, so start over from them.
      try {
        db?.close();
      } catch {
        // closing a damaged file may fail too; it is removed either way
      }
      return { index: SearchIndex.recreate(file, limits), rebuilt: true, reason: `index unreadable: ${(error as Error).message}` };
    }
  }

  /** Throws the index file away and creates it empty (the caller closed its connection to it first). */
  static recreate(file: string, limits = SEARCH_LIMITS): SearchIndex {
    removeDatabase(file);
    return SearchIndex.create(file, limits);
  }

  private static create(file: string, limits: SearchLimits): SearchIndex {
    const db = openDatabase(file);
    db.exec(SCHEMA);
    return new SearchIndex(db, limits);
  }

  /**
   * A read-only connection to the index a writer opened at `file`, for searches in a thread of their
   * own: in WAL mode it reads the last commit while the writer goes on, neither waiting for the other.
   */
  static openReader(file: string, limits = SEARCH_LIMITS): SearchIndex {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -32768');
    const version = db.pragma('user_version', { simple: true });
    if (version !== SCHEMA_VERSION) {
      db.close();
      throw new Error(`index schema ${String(version)} is not ${SCHEMA_VERSION}`);
    }
    return new SearchIndex(db, limits);
  }

  close(): void {
    this.db.close();
    this.probe?.db.close();
  }

  count(): number {
    return this.prepare('count', 'SELECT count(*) FROM notes').pluck().get() as number;
  }

  /** Notes whose frontmatter does not parse (read through the partial index: the others cost nothing). */
  malformedCount(): number {
    return this.prepare('malformed-count', 'SELECT count(*) FROM notes WHERE problem IS NOT NULL').pluck().get() as number;
  }

  /** The notes whose frontmatter does not parse, the most recently read first, at most `limit`. */
  malformedNotes(limit: number): MalformedNote[] {
    const sql = 'SELECT path, problem, problem_seen_ms FROM notes WHERE problem IS NOT NULL ORDER BY problem_seen_ms DESC LIMIT ?';
    const rows = this.prepare('malformed', sql).raw().all(limit) as Array<[string, string, number]>;
    return rows.map(([path, problem, seenMs]) => ({ path, problem, seen: new Date(seenMs).toISOString() }));
  }

  /**
   * Every indexed path with the stamp of the file version it was read from, in columns: a hundred
   * thousand strings and three number arrays cross a thread far faster than as many objects.
   */
  stamps(): StampColumns {
    const rows = this.prepare('stamps', 'SELECT path, size, mtime_ms, ino FROM notes').raw().all() as Array<[string, number, number, number]>;
    const columns: StampColumns = {
      paths: new Array<string>(rows.length),
      size: new Float64Array(rows.length),
      mtimeMs: new Float64Array(rows.length),
      ino: new Float64Array(rows.length),
    };
    rows.forEach(([path, size, mtimeMs, ino], i) => {
      columns.paths[i] = path;
      columns.size[i] = size;
      columns.mtimeMs[i] = mtimeMs;
      columns.ino[i] = ino;
    });
    return columns;
  }

  /** At most `limit` notes' stamps (stamp-check.ts), those with an id above `afterId`, by id. */
  stampsAfter(afterId: number, limit: number): StampRow[] {
    const sql = 'SELECT id, path, size, mtime_ms, ino FROM notes WHERE id > ? ORDER BY id LIMIT ?';
    return this.prepare('stamps-after', sql).raw().all(afterId, limit) as StampRow[];
  }

  stamp(path: string): FileStamp | undefined {
    return this.prepare('stamp', 'SELECT size, mtime_ms AS mtimeMs, ino FROM notes WHERE path = ?').get(path) as
      | FileStamp
      | undefined;
  }

  /** Indexed paths inside the folder `dir` (relative, no trailing slash). */
  pathsUnder(dir: string): string[] {
    return this.prepare('under', 'SELECT path FROM notes WHERE path >= ? AND path < ?')
      .pluck()
      .all(`${dir}/`, `${dir}0`) as string[]; // '0' sorts right after '/'
  }

  /**
   * Applies a batch of changes in one transaction (one commit for the batch, all or nothing) and
   * answers the note count after it, and how many notes it really changed: a file re-read with the
   * same bytes (a touch, our own write seen again) is not a change.
   */
  apply(changes: IndexChange[], now = Date.now()): ApplyResult {
    let added = 0;
    let changed = 0;
    let malformed = 0;
    this.transaction(() => {
      for (const change of changes) {
        if ('note' in change) {
          const outcome = this.upsertOne(change.note, now);
          if (outcome.kind === 'added') added++;
          if (outcome.kind !== 'same') changed++;
          malformed += outcome.malformed;
        } else {
          const removed = this.removeOne(change.remove);
          if (removed === null) continue;
          added--;
          changed++;
          if (removed.malformed) malformed--;
        }
      }
    });
    // Counted, not read again: count(*) walks the whole table, 5 ms a batch at 100k notes.
    this.notes = this.notes === undefined ? this.count() : this.notes + added;
    this.malformed = this.malformed === undefined ? this.malformedCount() : this.malformed + malformed;
    return { count: this.notes, changed, malformed: this.malformed };
  }

  /**
   * A page of notes by path: those starting with `prefix`, after the cursor `after`, at most `limit`.
   * One range of the path index (its UNIQUE constraint), read from where the page starts and stopped
   * at the prefix's end, so a page costs the same at any depth of a brain of any size.
   */
  list({ prefix = '', after, limit }: NoteListQuery): NoteListing {
    const from = after !== undefined && after >= prefix ? after : null;
    const end = prefixEnd(prefix);
    // One lower bound only (the cursor is past the prefix's start), so SQLite seeks straight to it.
    const sql = `SELECT path, title, sha256 FROM notes
      WHERE path ${from === null ? '>=' : '>'} ? ${end === null ? '' : 'AND path < ?'} ORDER BY path LIMIT ?`;
    const params = [from ?? prefix, ...(end === null ? [] : [end]), limit + 1];
    const rows = this.prepare(`list:${from === null}:${end === null}`, sql).all(...params) as NoteSummary[];
    const more = rows.length > limit;
    const notes = more ? rows.slice(0, limit) : rows;
    return { notes, next: more ? (notes.at(-1)?.path ?? null) : null };
  }

  /** Runs `work` in one transaction: a batch of upserts costs one commit instead of one each. */
  private transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /**
   * Indexes the note: added (not indexed before), changed (other bytes) or the same file read again;
   * `malformed` is what it did to the count of notes that do not parse (-1, 0 or 1).
   */
  private upsertOne(note: IndexedNote, now: number): { kind: 'added' | 'changed' | 'same'; malformed: number } {
    this.changes++;
    const sql = 'SELECT id, sha256, problem IS NOT NULL AS malformed FROM notes WHERE path = ?';
    const known = this.prepare('id-sha', sql).get(note.path) as { id: number; sha256: string; malformed: number } | undefined;
    const id = known?.id;
    const problem = note.problem ?? null;
    // Read again, a note that still does not parse counts as seen now: the page lists the newest first.
    const problemRow = [problem, problem === null ? null : now];
    const malformed = (problem === null ? 0 : 1) - (known?.malformed ?? 0);
    const row = [note.title, note.type, note.domain, note.size, note.mtimeMs, note.ino, note.sha256, ...problemRow];
    let noteId: number;
    if (id === undefined) {
      const insert = 'INSERT INTO notes (path, title, type, domain, size, mtime_ms, ino, sha256, problem, problem_seen_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
      noteId = Number(this.prepare('insert', insert).run(note.path, ...row).lastInsertRowid);
    } else {
      noteId = id;
      if (known?.sha256 === note.sha256) {
        // The same bytes: only the stamp moved (a touch, a copy back). Nothing to re-tokenize.
        const restamp = 'UPDATE notes SET size = ?, mtime_ms = ?, ino = ?, problem = ?, problem_seen_ms = ? WHERE id = ?';
        this.prepare('restamp', restamp).run(note.size, note.mtimeMs, note.ino, ...problemRow, id);
        return { kind: 'same', malformed };
      }
      const update = 'UPDATE notes SET title = ?, type = ?, domain = ?, size = ?, mtime_ms = ?, ino = ?, sha256 = ?, problem = ?, problem_seen_ms = ? WHERE id = ?';
      this.prepare('update', update).run(...row, id);
      this.prepare('fts-delete', 'DELETE FROM notes_fts WHERE rowid = CAST(? AS INTEGER)').run(id);
      this.prepare('tags-delete', 'DELETE FROM note_tags WHERE note_id = ?').run(id);
    }
    const tags = [...new Set(note.tags.map((t) => t.toLowerCase()))];
    const ftsInsert = 'INSERT INTO notes_fts (rowid, title, tags, body) VALUES (CAST(? AS INTEGER), ?, ?, ?)';
    this.prepare('fts-insert', ftsInsert).run(noteId, note.title, tags.join(' '), note.body);
    const tagInsert = this.prepare('tag-insert', 'INSERT OR IGNORE INTO note_tags (tag, note_id) VALUES (?, ?)');
    for (const tag of tags) tagInsert.run(tag, noteId);
    return { kind: id === undefined ? 'added' : 'changed', malformed };
  }

  /** Forgets the note at `path`; null when none was indexed there. */
  private removeOne(path: string): { malformed: boolean } | null {
    const known = this.prepare('id-problem', 'SELECT id, problem IS NOT NULL AS malformed FROM notes WHERE path = ?').get(path) as
      | { id: number; malformed: number }
      | undefined;
    if (known === undefined) return null;
    const { id } = known;
    this.changes++;
    this.prepare('delete', 'DELETE FROM notes WHERE id = ?').run(id);
    this.prepare('fts-delete', 'DELETE FROM notes_fts WHERE rowid = CAST(? AS INTEGER)').run(id);
    this.prepare('tags-delete', 'DELETE FROM note_tags WHERE note_id = ?').run(id);
    return { malformed: known.malformed === 1 };
  }

  /**
   * Ranks notes by BM25 over title, tags and body for the query's most selective terms
   * (`selectiveTerms`), scaled by the share of those terms a note
   * matches (Lucene's classic coordination factor): of two notes with similar BM25, the one that
   * matches more of a prompt's words comes first. Each term is scored by a bm25 statement of its own
   * and the scores summed, which is exactly FTS5's multi-term bm25, with the match count for free;
   * a term's scores are kept until the index changes (`TermPostingsStore`), so a term met again costs
   * no scoring at all.
   */
  search(query: SearchQuery): SearchHit[] {
    const chosen = this.selectiveTerms(queryTerms(query.query, CANDIDATE_QUERY_TERMS));
    if (chosen.length === 0) return [];
    const filters = filterClauses(query);
    if (filters.sql) return this.withExcerpts(this.filteredSearch(chosen, filters, query.limit), chosen);
    // Every term's postings first: a statement that fails leaves the board as empty as it found it.
    const lists = chosen.map(({ term, df }) => this.postings(term, df));
    for (const postings of lists) this.board.add(postings);
    const note = this.prepare('note', 'SELECT id, path, title, sha256 FROM notes WHERE id = ?');
    const rows = this.board.best(query.limit, chosen.length).flatMap(({ id, score }) => {
      // Written in one transaction with its FTS5 row, a note is always there; were it not, it is left out, as a join would.
      const row = note.get(id) as Omit<RankedRow, 'score'> | undefined;
      return row ? [{ ...row, score }] : [];
    });
    return this.withExcerpts(rows, chosen);
  }

  /**
   * The term's postings scored by bm25, kept or read now: a term in more notes than the scored window
   * is scored in the newest of them only (those from `windowStart` on).
   */
  private postings(term: string, df: number): TermPostings {
    const kept = this.kept.get(term);
    if (kept) return kept;
    const literal = ftsLiteral(term);
    const from = df > this.limits.scoredWindow ? this.windowStart(literal) : 0;
    // Two JSON arrays, not a row per posting: better-sqlite3 spends about a microsecond on each row it
    // hands over, as much as scoring it, and SQLite writes doubles to JSON with every digit they have.
    const sql = `SELECT json_group_array(rowid), json_group_array(rank) FROM
      (SELECT rowid, rank FROM notes_fts WHERE notes_fts MATCH ? AND rowid >= CAST(? AS INTEGER) AND rank MATCH '${RANK}')`;
    const [ids, ranks] = this.prepare('term-postings', sql).raw().get(literal, from) as [string, string];
    const postings: TermPostings = { ids: Int32Array.from(JSON.parse(ids) as number[]), ranks: Float64Array.from(JSON.parse(ranks) as number[]) };
    this.kept.set(term, postings);
    return postings;
  }

  /**
   * A search with type, domain or tag filters, ranked as `search` ranks in one statement: the filters
   * leave out notes after the ranking, so the limit applies to the notes that pass them.
   */
  private filteredSearch(chosen: Array<{ term: string; df: number }>, filters: { sql: string; params: string[] }, limit: number): RankedRow[] {
    const terms = chosen.map((t) => ftsLiteral(t.term));
    const termParams = terms.flatMap((term, i) => [term, (chosen[i]?.df ?? 0) > this.limits.scoredWindow ? this.windowStart(term) : 0]);
    // `rank` rather than bm25(): an auxiliary function cannot be called once SQLite flattens the CTE.
    const perTerm = `SELECT rowid AS id, rank AS s FROM notes_fts WHERE notes_fts MATCH ? AND rowid >= CAST(? AS INTEGER) AND rank MATCH '${RANK}'`;
    const sql = `WITH hits AS (${terms.map(() => perTerm).join(' UNION ALL ')}),
      ranked AS (SELECT id, -sum(s) * count(*) / ${terms.length}.0 AS score FROM hits GROUP BY id)
      SELECT n.id, n.path, n.title, n.sha256, r.score FROM ranked r JOIN notes n ON n.id = r.id
      WHERE ${filters.sql} ORDER BY r.score DESC, n.id DESC LIMIT ?`;
    return this.prepare(`filtered:${terms.length}:${filters.sql}`, sql).all(...termParams, ...filters.params, limit) as RankedRow[];
  }

  /**
   * The hits with their excerpts: of each note's body, the passage of EXCERPT_TOKENS tokens with the
   * most of the query's rarest terms, chosen as FTS5's snippet() chooses it (`bestPassage`) but in one
   * pass over the body. snippet() itself scores every match against every other, quadratic in the
   * matches inside one note: 80 s for a note of one word written 80,000 times. Measured: docs/search.md.
   */
  private withExcerpts(rows: RankedRow[], chosen: Array<{ term: string; df: number }>): SearchHit[] {
    if (rows.length === 0) return [];
    const terms = excerptTerms(chosen);
    const stems = this.tokens(terms);
    const matcher = new TermMatcher(
      terms.map((term) => stems.get(term) ?? []),
      (forms) => this.tokens(forms),
    );
    // By rowid, one note at a time: a lookup of the stored body, no MATCH, so no postings read again.
    // The id goes through CAST: better-sqlite3 binds JS numbers as REAL, which FTS5 does not take as a rowid.
    const body = this.prepare('body', 'SELECT body FROM notes_fts WHERE rowid = CAST(? AS INTEGER)').pluck();
    return rows.map((row) => toHit(row, bestPassage((body.get(row.id) as string | undefined) ?? '', matcher)));
  }

  /** The lowest note id among the newest notes holding `term` (an FTS5 literal) that fit in the scored window. */
  private windowStart(term: string): number {
    const sql = 'SELECT rowid FROM notes_fts WHERE notes_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?';
    return (this.prepare('window', sql).pluck().get(term, this.limits.scoredWindow - 1) as number | undefined) ?? 0;
  }

  /**
   * The terms worth searching, with the number of notes holding each: the most selective (lowest
   * document frequency) first, while their postings add up to at most `limits.maxPostings`, at most
   * SEARCH_TERMS of them, without those in more than COMMON_TERM_SHARE of the notes. The rarest
   * term is always kept, so a query of common words still answers.
   */
  private selectiveTerms(terms: string[]): Array<{ term: string; df: number }> {
    if (terms.length === 0) return [];
    this.refreshCounts();
    const dfs = this.documentFrequencies(terms);
    const scored = terms.map((term, at) => ({ term, at, df: dfs[at] ?? 0 })).filter((t) => t.df > 0);
    scored.sort((a, b) => a.df - b.df || a.at - b.at);
    const common = this.noteCount * (this.limits.commonShare ?? COMMON_TERM_SHARE);
    const most = this.limits.terms ?? SEARCH_TERMS;
    const kept: typeof scored = [];
    let postings = 0;
    for (const t of scored) {
      if (kept.length > 0 && (kept.length === most || t.df > common || postings + t.df > this.limits.maxPostings)) break;
      kept.push(t);
      postings += t.df;
    }
    // Back in the query's order: the statement's shape and the excerpt do not depend on frequencies.
    return kept.sort((a, b) => a.at - b.at);
  }

  /**
   * Keeps the note count exact, the kept scores current and the cached frequencies close: the count
   * is read again and the kept scores dropped whenever the index changed (here, or through another
   * connection: `PRAGMA data_version`); the frequencies
   * only once the notes changed by more than 1 %, since they only order and drop terms. A term
   * in no note is never cached, so a note written with a new word is found at once.
   */
  private refreshCounts(): void {
    // A prepared statement: db.pragma() prepares one at every call, ~0.1 ms of each search.
    const dataVersion = this.prepare('data-version', 'PRAGMA data_version').pluck().get() as number;
    const version = `${this.changes}:${dataVersion}`;
    if (version === this.cachedAt && this.noteCount >= 0) return;
    this.cachedAt = version;
    // Any change moves bm25 (the note count, the average length, a term's frequency) and may add a
    // term's notes: kept scores would be stale, and a note just written missing from them.
    this.kept.clear();
    this.noteCount = this.count();
    const drift = this.dfsNoteCount / 100;
    if (this.changes - this.dfsChanges > drift || Math.abs(this.noteCount - this.dfsNoteCount) > drift) {
      this.dfs = new Map();
      this.dfsChanges = this.changes;
      this.dfsNoteCount = this.noteCount;
    }
  }

  /** Notes holding each term; for a term FTS5 splits into several tokens, that of its rarest token. */
  private documentFrequencies(terms: string[]): number[] {
    const lookup = this.prepare('vocab', 'SELECT doc FROM notes_vocab WHERE term = ?').pluck();
    const stems = this.tokens(terms.filter((term) => !this.dfs.has(term)));
    return terms.map((term) => {
      let df = this.dfs.get(term);
      if (df !== undefined) return df;
      const tokens = stems.get(term) ?? [];
      df = tokens.length === 0 ? 0 : Math.min(...tokens.map((token) => (lookup.get(token) as number | undefined) ?? 0));
      if (df > 0) {
        if (this.dfs.size >= TERM_CACHE_SIZE) this.dfs.delete(this.dfs.keys().next().value as string);
        this.dfs.set(term, df);
      }
      return df;
    });
  }

  /**
   * The tokens FTS5 indexes for each term, from its own tokenizer: the terms not seen before are
   * written to a scratch in-memory FTS5 table and read back from its vocabulary.
   */
  private tokens(terms: string[]): Map<string, string[]> {
    const found = new Map<string, string[]>();
    const unknown: string[] = [];
    for (const term of terms) {
      const cached = this.stems.get(term);
      if (cached) found.set(term, cached);
      else unknown.push(term);
    }
    if (unknown.length === 0) return found;
    if (!this.probe) {
      const db = new Database(':memory:');
      // Contentless: only the tokens are wanted, and emptying it is then one 'delete-all', where
      // deleting rows of a table with content tokenizes each row again.
      db.exec(`CREATE VIRTUAL TABLE probe USING fts5(t, content = '', tokenize = '${TOKENIZE}');
        CREATE VIRTUAL TABLE probe_tokens USING fts5vocab(probe, 'instance');`);
      this.probe = {
        db,
        insert: db.prepare('INSERT INTO probe (rowid, t) VALUES (CAST(? AS INTEGER), ?)'),
        read: db.prepare('SELECT doc, term, offset FROM probe_tokens ORDER BY doc, offset'),
        clear: db.prepare(`INSERT INTO probe (probe) VALUES ('delete-all')`),
      };
    }
    const probe = this.probe;
    // An ASCII word is exactly one unicode61 token, so all of them share row 0 and its n-th token is
    // the n-th word's: one insert instead of one per word. Any other term has a row of its own (it
    // may split into several tokens, or into none). Both together: 30–65 % of what the probe cost (docs/search.md).
    const words = unknown.flatMap((term, i) => (ASCII_WORD.test(term) ? [i] : []));
    const rows = probe.db.transaction(() => {
      if (words.length > 0) probe.insert.run(0, words.map((i) => unknown[i]).join(' '));
      unknown.forEach((term, i) => {
        if (!ASCII_WORD.test(term)) probe.insert.run(i + 1, term);
      });
      const tokens = probe.read.all() as Array<{ doc: number; term: string; offset: number }>;
      probe.clear.run();
      return tokens;
    })();
    const byTerm = unknown.map((): string[] => []);
    for (const row of rows) byTerm[row.doc === 0 ? (words[row.offset] ?? -1) : row.doc - 1]?.push(row.term);
    unknown.forEach((term, i) => {
      const tokens = byTerm[i] ?? [];
      if (this.stems.size >= TERM_CACHE_SIZE) this.stems.delete(this.stems.keys().next().value as string);
      this.stems.set(term, tokens);
      found.set(term, tokens);
    });
    return found;
  }

  private prepare(key: string, sql: string): Statement {
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(key, statement);
    }
    return statement;
  }
}

interface RankedRow {
  id: number;
  path: string;
  title: string;
  sha256: string;
  score: number;
}

function toHit(row: RankedRow, excerpt: string): SearchHit {
  return {
    path: row.path,
    title: row.title,
    excerpt: tidyExcerpt(excerpt),
    // Significant digits, not decimals: on a small brain FTS5 floors common terms' IDF near zero.
    score: Number(row.score.toPrecision(4)),
    sha256: row.sha256,
  };
}

/**
 * The least string above every string that starts with `prefix`, in SQLite's BINARY order (UTF-8
 * bytes, which is code point order): the prefix with its last code point raised by one. Null when
 * there is none (an empty prefix, or one of only U+10FFFF).
 */
export function prefixEnd(prefix: string): string | null {
  const points = Array.from(prefix, (char) => char.codePointAt(0) ?? 0);
  while (points.length > 0) {
    let last = (points.pop() ?? 0) + 1;
    if (last >= 0xd800 && last <= 0xdfff) last = 0xe000; // no UTF-8 for surrogates: the next code point there is
    if (last <= 0x10ffff) return String.fromCodePoint(...points, last);
  }
  return null;
}

/**
 * True for SQLite's word that the index file is damaged (or gone from under a connection that must
 * open it): what rebuilding it from the notes cures, unlike a busy database or a full disk.
 */
export function isIndexDamage(code: unknown): boolean {
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB|CANTOPEN)/.test(code);
}

function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash; a power cut may lose the last commits of a
  // derived index, which the next start's reconcile puts back from the files.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // SQLite's default 2 MB page cache thrashes while FTS5 merges segments of a large brain: 64 MB made
  // building a 100k-note index 15% faster. It is an upper bound, used only as the index grows.
  db.pragma('cache_size = -65536');
  return db;
}

function removeDatabase(file: string): void {
  if (file === ':memory:') return;
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}

function filterClauses(query: SearchQuery): { sql: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  if (query.type) {
    clauses.push('n.type = ? COLLATE NOCASE');
    params.push(query.type);
  }
  if (query.domain) {
    clauses.push('n.domain = ? COLLATE NOCASE');
    params.push(query.domain);
  }
  for (const tag of new Set((query.tags ?? []).map((t) => t.toLowerCase()))) {
    clauses.push('n.id IN (SELECT note_id FROM note_tags WHERE tag = ?)');
    params.push(tag);
  }
  return { sql: clauses.join(' AND '), params };
}

/**
 * The passage shown is the one with the most of the query's rarest terms: they say what the query is
 * about (and the 8 rarest keep the passages FTS5's snippet() chose when it ran a MATCH of them).
 */
function excerptTerms(chosen: Array<{ term: string; df: number }>): string[] {
  return [...chosen].sort((a, b) => a.df - b.df).slice(0, EXCERPT_TERMS).map((t) => t.term);
}

/** One term as an FTS5 string literal: quoted, so no query syntax (NEAR, AND, column:) leaks in. */
function ftsLiteral(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}
