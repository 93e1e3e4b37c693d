/**
 * A term's scored postings are kept between searches (ingestion/term-postings.ts): the ranking must
 * be the one a single bm25 statement gives, a change to the index must be seen by the next search,
 * and the store must stay within its bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SearchIndex, type IndexedNote } from '../ingestion/search-index.js';
import { TermPostingsStore } from '../ingestion/term-postings.js';

const WORDS = ['deploy', 'rollback', 'canary', 'latency', 'queue', 'retry', 'timeout', 'cache', 'index', 'lock', 'shard', 'replica', 'token', 'quota', 'schema', 'cursor'];

/** A small seeded generator: the same brain and queries at every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

let next = 0;
function note(path: string, title: string, body: string, type = 'note'): IndexedNote {
  next++;
  return { path, title, type, domain: null, tags: [], body, size: body.length, mtimeMs: next, ino: next, sha256: String(next).padStart(64, '0') };
}

let index: SearchIndex;
const rand = random(42);
const pick = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)] as string);

beforeEach(() => {
  index = SearchIndex.open(':memory:').index;
  // Notes of 3–40 words from a small vocabulary: many notes share terms and many scores tie.
  index.apply(Array.from({ length: 400 }, (_, i) => ({ note: note(`n${i}.md`, pick(2).join(' '), pick(3 + Math.floor(rand() * 38)).join(' ')) })));
});
afterEach(() => index.close());

describe('scored postings kept between searches', () => {
  it('rank every query as one bm25 statement does, the first time and when met again', () => {
    const queries = Array.from({ length: 150 }, () => pick(1 + Math.floor(rand() * 10)).join(' '));
    for (const round of [1, 2]) {
      for (const query of queries) {
        // Every note has type "note": the filtered search ranks in one SQL statement, the reference.
        const reference = index.search({ query, limit: 8, type: 'note' }).map((hit) => [hit.path, hit.score]);
        const kept = index.search({ query, limit: 8 }).map((hit) => [hit.path, hit.score]);
        expect(kept, `round ${round}: ${query}`).toEqual(reference);
      }
    }
  });

  it('a note written or removed after a term was searched is seen by the next search', () => {
    const before = index.search({ query: 'canary', limit: 50 });
    expect(before.some((hit) => hit.path === 'new.md')).toBe(false);
    index.apply([{ note: note('new.md', 'canary canary', 'canary rollout of the canary build') }]);
    expect(index.search({ query: 'canary', limit: 50 })[0]?.path).toBe('new.md');
    index.apply([{ remove: 'new.md' }]);
    expect(index.search({ query: 'canary', limit: 50 }).some((hit) => hit.path === 'new.md')).toBe(false);
  });

  it('a reader sees the writer commit and does not answer from scores kept before it', () => {
    // Two connections to one file, as the service's writer and reader threads have.
    const dir = mkdtempSync(join(tmpdir(), 'term-postings-'));
    const writer = SearchIndex.open(join(dir, 'index.sqlite')).index;
    const reader = SearchIndex.openReader(join(dir, 'index.sqlite'));
    try {
      writer.apply([{ note: note('old.md', 'Old', 'a canary once') }]);
      expect(reader.search({ query: 'canary', limit: 5 }).map((hit) => hit.path)).toEqual(['old.md']);
      writer.apply([{ note: note('new.md', 'Canary', 'canary canary') }]);
      expect(reader.search({ query: 'canary', limit: 5 }).map((hit) => hit.path)).toEqual(['new.md', 'old.md']);
    } finally {
      reader.close();
      writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the store', () => {
  const postings = (n: number) => ({ ids: new Int32Array(n), ranks: new Float64Array(n) });

  it('keeps at most its capacity, dropping the term used least recently', () => {
    const store = new TermPostingsStore(100);
    store.set('a', postings(40));
    store.set('b', postings(40));
    store.get('a'); // a is now the most recently used
    store.set('c', postings(40));
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')?.ids).toHaveLength(40);
    expect(store.get('c')?.ids).toHaveLength(40);
    expect(store.postings).toBe(80);
  });

  it('keeps nothing larger than itself, and nothing at all with capacity 0', () => {
    const store = new TermPostingsStore(10);
    store.set('big', postings(11));
    expect(store.get('big')).toBeUndefined();
    const none = new TermPostingsStore(0);
    none.set('a', postings(1));
    expect(none.postings).toBe(0);
  });
});
