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
  return { path, title, type: null, domain: null, tags: [], body, size: body.length, mtimeMs: next, ino: next };
}

beforeEach(() => {
  index = SearchIndex.open(':memory:').index;
  index.transaction(() => {
    // "service" and "errors" are in every note; "kafka" in one, "rebalance" in two.
    for (let i = 0; i < 20; i++) index.upsertOne(note(`n${i}.md`, `Note ${i}`, `The service logs errors, case ${i}.`));
    index.upsertOne(note('kafka.md', 'Consumer lag', 'The service errors when a kafka consumer group starts to rebalance.'));
    index.upsertOne(note('rebalance.md', 'Rebalance storms', 'Each rebalance pauses the service; errors follow.'));
  });
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
    index.upsert(note('zk.md', 'ZooKeeper sessions', 'A zookeeper session expires.'));
    expect(search('zookeeper kafka').map((h) => h.path).sort()).toEqual(['kafka.md', 'zk.md']);
  });
});
