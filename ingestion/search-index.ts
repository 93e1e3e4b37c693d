/**
 * The brain's search index: SQLite FTS5 through better-sqlite3, derived from the markdown files and
 * rebuilt from them whenever it is missing, outdated or unreadable. Why FTS5: docs/search.md.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { QueryBody, SearchHit } from '../common/brain-contract.js';
import { queryTerms } from '../common/query-terms.js';

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
}

/** A search as checked by the contract's QueryBody, its tags as a list without leading #. */
export interface SearchQuery extends Omit<QueryBody, 'tags'> {
  /** Every tag listed must be on the note (case-insensitive). */
  tags?: string[] | undefined;
}


// Bump when the schema or the tokenizer changes: an index of another version is rebuilt from the files.
const SCHEMA_VERSION = 1;
// bm25 column weights for (title, tags, body): a word in the title says most about what a note is.
const RANK = 'bm25(10.0, 4.0, 1.0)';
export const EXCERPT_MAX_CHARS = 300;
// The passage of the body (column 2) with the most matched terms, 40 tokens long: about 250 characters.
const SNIPPET = `snippet(notes_fts, 2, '', '', '…', 40)`;

const SCHEMA = `
  CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    type TEXT,
    domain TEXT,
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    ino INTEGER NOT NULL
  );
  CREATE INDEX notes_type ON notes(type COLLATE NOCASE);
  CREATE INDEX notes_domain ON notes(domain COLLATE NOCASE);
  CREATE TABLE note_tags (tag TEXT NOT NULL, note_id INTEGER NOT NULL, PRIMARY KEY (tag, note_id)) WITHOUT ROWID;
  CREATE INDEX note_tags_note ON note_tags(note_id);
  CREATE VIRTUAL TABLE notes_fts USING fts5(title, tags, body, tokenize = 'porter unicode61 remove_diacritics 2');
  PRAGMA user_version = ${SCHEMA_VERSION};
`;

type Statement = Database.Statement<unknown[], unknown>;

export class SearchIndex {
  private readonly statements = new Map<string, Statement>();

  private constructor(private readonly db: Database.Database) {}

  /**
   * Opens the index at `file` (`:memory:` for none on disk). An index that is corrupt or of another
   * schema version is thrown away and created empty; `rebuilt` tells the caller so.
   */
  static open(file: string): { index: SearchIndex; rebuilt: boolean; reason?: string } {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    try {
      const db = openDatabase(file);
      const version = db.pragma('user_version', { simple: true });
      if (version === SCHEMA_VERSION) return { index: new SearchIndex(db), rebuilt: false };
      const fresh = version === 0 && db.prepare(`SELECT count(*) AS n FROM sqlite_master`).pluck().get() === 0;
      db.close();
      removeDatabase(file);
      return {
        index: SearchIndex.create(file),
        rebuilt: true,
        ...(fresh ? {} : { reason: `index schema ${String(version)} is not ${SCHEMA_VERSION}` }),
      };
    } catch (error) {
      // A derived index is never worth failing for: the files are the truth, so start over from them.
      removeDatabase(file);
      return { index: SearchIndex.create(file), rebuilt: true, reason: `index unreadable: ${(error as Error).message}` };
    }
  }

  private static create(file: string): SearchIndex {
    const db = openDatabase(file);
    db.exec(SCHEMA);
    return new SearchIndex(db);
  }

  close(): void {
    this.db.close();
  }

  count(): number {
    return this.prepare('count', 'SELECT count(*) FROM notes').pluck().get() as number;
  }

  /** Every indexed path with the stamp of the file version it was read from. */
  stamps(): Map<string, FileStamp> {
    const rows = this.prepare('stamps', 'SELECT path, size, mtime_ms AS mtimeMs, ino FROM notes').all() as Array<
      FileStamp & { path: string }
    >;
    return new Map(rows.map(({ path, ...stamp }) => [path, stamp]));
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

  upsert(note: IndexedNote): void {
    this.transaction(() => this.upsertOne(note));
  }

  remove(path: string): boolean {
    return this.transaction(() => this.removeOne(path));
  }

  /** Runs `work` in one transaction: a batch of upserts costs one commit instead of one each. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  upsertOne(note: IndexedNote): void {
    const id = this.prepare('id', 'SELECT id FROM notes WHERE path = ?').pluck().get(note.path) as number | undefined;
    const row = [note.title, note.type, note.domain, note.size, note.mtimeMs, note.ino];
    let noteId: number;
    if (id === undefined) {
      const sql = 'INSERT INTO notes (path, title, type, domain, size, mtime_ms, ino) VALUES (?, ?, ?, ?, ?, ?, ?)';
      noteId = Number(this.prepare('insert', sql).run(note.path, ...row).lastInsertRowid);
    } else {
      noteId = id;
      const sql = 'UPDATE notes SET title = ?, type = ?, domain = ?, size = ?, mtime_ms = ?, ino = ? WHERE id = ?';
      this.prepare('update', sql).run(...row, id);
      this.prepare('fts-delete', 'DELETE FROM notes_fts WHERE rowid = CAST(? AS INTEGER)').run(id);
      this.prepare('tags-delete', 'DELETE FROM note_tags WHERE note_id = ?').run(id);
    }
    const tags = [...new Set(note.tags.map((t) => t.toLowerCase()))];
    const ftsInsert = 'INSERT INTO notes_fts (rowid, title, tags, body) VALUES (CAST(? AS INTEGER), ?, ?, ?)';
    this.prepare('fts-insert', ftsInsert).run(noteId, note.title, tags.join(' '), note.body);
    const tagInsert = this.prepare('tag-insert', 'INSERT OR IGNORE INTO note_tags (tag, note_id) VALUES (?, ?)');
    for (const tag of tags) tagInsert.run(tag, noteId);
  }

  removeOne(path: string): boolean {
    const id = this.prepare('id', 'SELECT id FROM notes WHERE path = ?').pluck().get(path) as number | undefined;
    if (id === undefined) return false;
    this.prepare('delete', 'DELETE FROM notes WHERE id = ?').run(id);
    this.prepare('fts-delete', 'DELETE FROM notes_fts WHERE rowid = CAST(? AS INTEGER)').run(id);
    this.prepare('tags-delete', 'DELETE FROM note_tags WHERE note_id = ?').run(id);
    return true;
  }

  /**
   * Ranks notes by BM25 over title, tags and body, scaled by the share of query terms a note
   * matches (Lucene's classic coordination factor): of two notes with similar BM25, the one that
   * matches more of a prompt's words comes first. Each term is searched on its own and the
   * scores summed, which is exactly FTS5's multi-term bm25, with the match count for free.
   */
  search(query: SearchQuery): SearchHit[] {
    const terms = queryTerms(query.query).map(ftsLiteral);
    if (terms.length === 0) return [];
    const filters = filterClauses(query);
    const where = filters.sql ? `AND ${filters.sql}` : '';
    const key = `search:${terms.length}:${filters.sql}`;
    if (terms.length === 1) {
      // One term: every hit matches all terms, so plain bm25 is the ranking; FTS5 sorts by it itself
      // and computes the snippet only for the rows it returns.
      const sql = `SELECT n.path, n.title, -f.rank AS score, ${SNIPPET} AS excerpt
        FROM notes_fts f JOIN notes n ON n.id = f.rowid
        WHERE notes_fts MATCH ? AND f.rank MATCH '${RANK}' ${where} ORDER BY f.rank LIMIT ?`;
      const rows = this.prepare(key, sql).all(...terms, ...filters.params, query.limit) as RankedRow[];
      return rows.map(toHit);
    }
    // `rank` rather than bm25(): an auxiliary function cannot be called once SQLite flattens the CTE.
    const perTerm = `SELECT rowid AS id, rank AS s FROM notes_fts WHERE notes_fts MATCH ? AND rank MATCH '${RANK}'`;
    // Without filters only the best rows need a path and title, so the limit comes before the join.
    const sql = `WITH hits AS (${terms.map(() => perTerm).join(' UNION ALL ')}),
      ranked AS (SELECT id, -sum(s) * count(*) / ${terms.length}.0 AS score FROM hits GROUP BY id
        ${filters.sql ? '' : 'ORDER BY score DESC LIMIT ?'})
      SELECT n.id, n.path, n.title, r.score FROM ranked r JOIN notes n ON n.id = r.id
      WHERE 1 ${where} ORDER BY r.score DESC ${filters.sql ? 'LIMIT ?' : ''}`;
    const rows = this.prepare(key, sql).all(...terms, ...filters.params, query.limit) as Array<RankedRow & { id: number }>;
    if (rows.length === 0) return [];
    // One statement for every excerpt: each separate MATCH would read the terms' postings again.
    // The ids go through CAST: better-sqlite3 binds JS numbers as REAL, and next to a MATCH, FTS5
    // silently ignores `rowid = <real>` and answers with every matching row.
    const snippets = this.prepare(
      'snippets',
      `SELECT rowid AS id, ${SNIPPET} AS excerpt FROM notes_fts
        WHERE notes_fts MATCH ? AND rowid IN (SELECT CAST(value AS INTEGER) FROM json_each(?))`,
    ).all(terms.join(' OR '), JSON.stringify(rows.map((row) => row.id))) as Array<{ id: number; excerpt: string }>;
    const excerpts = new Map(snippets.map((row) => [row.id, row.excerpt]));
    return rows.map((row) => toHit({ ...row, excerpt: excerpts.get(row.id) ?? '' }));
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
  path: string;
  title: string;
  score: number;
  excerpt: string | null;
}

function toHit(row: RankedRow): SearchHit {
  return {
    path: row.path,
    title: row.title,
    excerpt: tidyExcerpt(row.excerpt ?? ''),
    // Significant digits, not decimals: on a small brain FTS5 floors common terms' IDF near zero.
    score: Number(row.score.toPrecision(4)),
  };
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

/** One line of at most EXCERPT_MAX_CHARS, cut at a word boundary. */
export function tidyExcerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= EXCERPT_MAX_CHARS) return flat;
  const cut = flat.slice(0, EXCERPT_MAX_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > EXCERPT_MAX_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** One term as an FTS5 string literal: quoted, so no query syntax (NEAR, AND, column:) leaks in. */
function ftsLiteral(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}
