/**
 * How the index chooses a query's terms by document frequency (docs/search.md, "How a query is
 * answered"): words in most notes are dropped while a telling one remains, a word never seen costs
 * nothing, and a note written with a new word is found at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SearchIndex, type IndexedNote } from '../ingestion/search-index.js';

let index: SearchIndex;
let next = 0;

function note(path: string, title: string, body: string): IndexedNote {
  next++;
  return { path, title, type: null, domain: null, tags: [], body, size: body.length, mtimeMs: next, ino: next, sha256: String(next).padStart(64, '0') };
}

beforeEach(() => {
  index = SearchIndex.open(':memory:').index;
  // "service" and "errors" are in every note; "kafka" in one, "rebalance" in two.
  index.apply([
    ...Array.from({ length: 20 }, (_, i) => ({ note: note(`n${i}.md`, `Note ${i}`, `The service logs errors, case ${i}.`) })),
    { note: note('kafka.md', 'Consumer lag', 'The service errors when a kafka consumer group starts to rebalance.') },
    { note: note('rebalance.md', 'Rebalance storms', 'Each rebalance pauses the service; errors follow.') },
  ]);
});
afterEach(() => index.close());

const search = (query: string) => index.search({ query, limit: 5 });

describe('choosing terms by document frequency', () => {
  it('a word in most notes is dropped while a selective one remains, and the selective ones rank', () => {
    const hits = search('service errors kafka rebalance');
    expect(hits.map((h) => h.path)).toEqual(['kafka.md', 'rebalance.md']);
    // The excerpt is built from the kept terms.
    expect(hits[0]?.excerpt).toContain('kafka');
  });

  it('a query made only of words in most notes keeps its rarest one and still answers', () => {
    expect(search('service errors')).toHaveLength(5);
  });

  it('words found in no note are ignored, and a query of only those finds nothing', () => {
    expect(search('zzunknown kafka qqnothing').map((h) => h.path)).toEqual(['kafka.md']);
    expect(search('zzunknown qqnothing')).toEqual([]);
  });

  it('stems come from FTS5 own tokenizer: another form of a word counts in its frequency', () => {
    expect(search('rebalances kafka').map((h) => h.path)).toEqual(['kafka.md', 'rebalance.md']);
  });

  it('a word first searched when no note had it is found as soon as a note with it is written', () => {
    expect(search('zookeeper kafka').map((h) => h.path)).toEqual(['kafka.md']);
    index.apply([{ note: note('zk.md', 'ZooKeeper sessions', 'A zookeeper session expires.') }]);
    expect(search('zookeeper kafka').map((h) => h.path).sort()).toEqual(['kafka.md', 'zk.md']);
  });
});

describe('bounds on what one query scores', () => {
  // Small bounds so a few hundred notes show what a brain of a hundred thousand does with the real ones.
  const limits = { maxPostings: 60, scoredWindow: 40 };
  const FLAGGED = [7, 45, 95];
  let bounded: SearchIndex;

  beforeEach(() => {
    bounded = SearchIndex.open(':memory:', limits).index;
    const notes: IndexedNote[] = [];
    // "deploy" in 100 of 250 notes (the older ones first), "rollback" in 30, "canary" in 20, "flag" in 3.
    for (let i = 0; i < 100; i++) {
      const words = ['deploy', i % 3 === 0 && i < 90 ? 'rollback' : '', i % 5 === 0 ? 'canary' : '', FLAGGED.includes(i) ? 'flag' : ''];
      notes.push(note(`d${String(i).padStart(3, '0')}.md`, `Note ${i}`, words.filter(Boolean).join(' ') + '.'));
    }
    for (let i = 0; i < 150; i++) notes.push(note(`other${i}.md`, `Other ${i}`, 'Unrelated words.'));
    bounded.apply(notes.map((n) => ({ note: n })));
  });
  afterEach(() => bounded.close());

  it('a word held by more notes than the scored window is answered from the newest of them', () => {
    const hits = bounded.search({ query: 'deploy', limit: 100 });
    expect(hits).toHaveLength(limits.scoredWindow);
    expect(hits.every((hit) => Number(hit.path.slice(1, 4)) >= 100 - limits.scoredWindow)).toBe(true);
  });

  it('a prompt keeps its rarest words while their notes fit the budget and drops the common rest', () => {
    // flag (3) + canary (20) + rollback (30) = 53 ≤ 60; deploy (100) would pass the budget.
    const hits = bounded.search({ query: 'deploy rollback canary flag', limit: 100 });
    const found = new Set(hits.map((hit) => hit.path));
    expect(found.size).toBe([...Array(100).keys()].filter((i) => (i % 3 === 0 && i < 90) || i % 5 === 0 || FLAGGED.includes(i)).length);
    // A note holding only the dropped word is not scored; the one with all the kept words ranks first.
    expect(found.has('d001.md')).toBe(false);
    expect(hits[0]?.path).toBe('d045.md');
  });
});
