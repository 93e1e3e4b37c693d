/**
 * A search costs what the query asks for, whatever a note holds: a note of one word written tens of
 * thousands of times is answered in milliseconds with a short excerpt (FTS5's snippet() took 50 s
 * and more on it, quadratic in the matches), and a reader that takes too long for any reason is
 * stopped and replaced rather than holding its thread, the queue and the shutdown.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryTerms } from '../common/query-terms.js';
import { BrainError } from '../ingestion/errors.js';
import { SearchPool } from '../ingestion/index-thread.js';
import { EXCERPT_MAX_CHARS, tidyExcerpt } from '../ingestion/excerpt.js';
import { SearchIndex } from '../ingestion/search-index.js';
import { useTestService, type TestService } from './support/service.js';

/** Rejects once `ms` pass, so that a search that would take a minute fails the test in seconds. */
function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

// Generous for a loaded 2-core machine: the searches take milliseconds; snippet() took 50 s and more.
const ANSWER_MS = 5_000;

describe('a note of one word repeated', () => {
  let service: TestService;
  useTestService((started) => (service = started));

  const search = (query: string) => within(ANSWER_MS, service.post('/query', { query, limit: 5 }), `search "${query}"`);

  it('a search for the repeated word answers at once with a short excerpt holding it', async () => {
    const written = await service.post('/write', { content: 'word '.repeat(80_000), filename: 'one-word' });
    expect(written.status).toBe(201);
    const answer = await search('word');
    expect(answer.status).toBe(200);
    expect(answer.body.results).toHaveLength(1);
    const { excerpt } = answer.body.results[0] as { excerpt: string };
    expect(excerpt.length).toBeLessThanOrEqual(EXCERPT_MAX_CHARS);
    expect(excerpt.length).toBeGreaterThan(100);
    expect(excerpt).toMatch(/^(word ){20,}/);
  });

  it('a note of two query words alternating gives a passage with both', async () => {
    await service.post('/write', { content: 'alpha beta '.repeat(40_000), filename: 'two-words' });
    const answer = await search('alpha beta');
    expect(answer.status).toBe(200);
    const { excerpt } = answer.body.results[0] as { excerpt: string };
    expect(excerpt.length).toBeLessThanOrEqual(EXCERPT_MAX_CHARS);
    expect(excerpt).toContain('alpha beta alpha');
  });

  it('two such searches at once do not hold an unrelated search', async () => {
    await service.post('/write', { content: 'word '.repeat(80_000), filename: 'one-word' });
    await service.post('/write', { content: '# Retry policy\n\nretry the consumer with backoff', filename: 'retry' });
    const [first, second, unrelated] = await Promise.all([search('word'), search('word'), search('backoff')]);
    expect([first.status, second.status, unrelated.status]).toEqual([200, 200, 200]);
    expect(unrelated.body.results.map((hit: { path: string }) => hit.path)).toEqual(['retry.md']);
  });
});

describe('excerpts of ordinary notes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'supervisor-excerpts-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are the passages FTS5 snippet() chose, for the search-eval notes', async () => {
    const root = join(import.meta.dirname, 'fixtures', 'search-eval', 'notes');
    const paths = (await readdir(root, { recursive: true })).filter((path) => path.endsWith('.md'));
    const file = join(dir, 'index.sqlite');
    const { index } = SearchIndex.open(file);
    const notes = await Promise.all(paths.map(async (path) => ({ path, body: await readFile(join(root, path), 'utf8') })));
    index.apply(
      notes.map(({ path, body }, i) => ({
        note: { path, title: path, type: null, domain: null, tags: [], body, size: body.length, mtimeMs: 0, ino: i, sha256: String(i) },
      })),
    );
    // snippet() over the same terms the excerpt is chosen by: queries of a few uncommon words, all kept.
    const raw = new Database(file, { readonly: true });
    const snippet = raw
      .prepare(`SELECT snippet(notes_fts, 2, '', '', '…', 40) FROM notes_fts WHERE notes_fts MATCH ? AND rowid = (SELECT id FROM notes WHERE path = ?)`)
      .pluck();
    const queries = ['flaky test', 'keep-alive agent socket', 'postgres index locking', 'retry backoff jitter', 'memory leak heap', 'canary rollout', 'cache invalidation'];
    let compared = 0;
    for (const query of queries) {
      const match = queryTerms(query).map((term) => `"${term}"`).join(' OR ');
      for (const hit of index.search({ query, limit: 10 })) {
        expect(hit.excerpt, `${query}: ${hit.path}`).toBe(tidyExcerpt(snippet.get(match, hit.path) as string));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
    raw.close();
    index.close();
  });
});

describe('the per-search time limit', () => {
  let dir: string;
  let file: string;
  let locker: Database.Database | undefined;
  let pool: SearchPool | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'supervisor-time-limit-'));
    file = join(dir, 'index.sqlite');
    const { index } = SearchIndex.open(file);
    index.apply([{ note: { path: 'retry.md', title: 'Retry', type: null, domain: null, tags: [], body: 'retry with backoff', size: 1, mtimeMs: 0, ino: 1, sha256: 'a' } }]);
    index.close();
  });

  afterEach(async () => {
    locker?.close();
    locker = undefined;
    await pool?.close();
    pool = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * A genuinely slow reader: another connection holds the index file locked (as a sqlite3 shell left
   * in a transaction could), so a reader waits in SQLite's busy handler, up to its 5 s busy timeout.
   */
  function lockIndex(): void {
    locker = new Database(file);
    locker.pragma('locking_mode = EXCLUSIVE');
    locker.exec("BEGIN EXCLUSIVE; UPDATE notes SET title = 'Retry' WHERE id = 1; COMMIT");
  }

  it('a search over the limit is answered with the limit error, and the next one by a fresh reader at once', async () => {
    // One reader, no waiting room: a search that found the reader still busy would be refused with 503.
    // The limit counts a fresh reader's start too (a second or more here under load), and stays well
    // below the stuck reader's 5 s busy timeout.
    pool = new SearchPool(file, 1, 0, 2_500);
    lockIndex();
    const stuck = pool.search({ query: 'retry', limit: 5 });
    await expect(stuck).rejects.toThrow('the search took longer than 2.5 s and was stopped; retry, and report it if it happens again');
    await expect(stuck).rejects.toBeInstanceOf(BrainError);
    // Released and asked in the same turn: the stopped reader's late reply cannot have arrived yet.
    locker?.close();
    locker = undefined;
    const hits = await pool.search({ query: 'retry', limit: 5 });
    expect(hits.map((hit) => hit.path)).toEqual(['retry.md']);
  });

  it('closing does not wait for a reader stuck in a search', async () => {
    pool = new SearchPool(file, 1, 256, 60_000);
    lockIndex();
    const stuck = pool.search({ query: 'retry', limit: 5 });
    const started = performance.now();
    await pool.close();
    // Closed while the file is still locked: the reader was ended, not waited for (its busy timeout is 5 s).
    expect(performance.now() - started).toBeLessThan(4_000);
    await expect(stuck).rejects.toThrow(/did not close within 1000 ms/);
    pool = undefined;
  });
});
