/**
 * An excerpt looks a note's words up in FTS5's tokenizer only when they can stem to one of the
 * query's terms (ingestion/excerpt.ts, `stemLead`): an ASCII word must start with its stem less the
 * few characters porter may write at its end. These tests hold that rule against FTS5's own stems of
 * real words and of every suffix porter rewrites, and check that an excerpt still finds a far
 * inflection of a query word.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { stemLead } from '../ingestion/excerpt.js';
import { SearchIndex, TOKENIZE } from '../ingestion/search-index.js';

/** Each word's tokens as FTS5 makes them with the notes' tokenizer. */
function fts5Stems(words: string[]): string[][] {
  const db = new Database(':memory:');
  try {
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(w, tokenize = '${TOKENIZE}'); CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');`);
    const insert = db.prepare('INSERT INTO t (rowid, w) VALUES (?, ?)');
    db.transaction(() => words.forEach((word, i) => insert.run(i + 1, word)))();
    const stems = words.map((): string[] => []);
    for (const { doc, term } of db.prepare('SELECT doc, term FROM v ORDER BY doc, offset').all() as Array<{ doc: number; term: string }>) {
      stems[doc - 1]?.push(term);
    }
    return stems;
  } finally {
    db.close();
  }
}

/** Every suffix porter's steps look at (and a few it meets after another step has run). */
const SUFFIXES = [
  ...['s', 'es', 'ies', 'sses', 'ss', 'ed', 'eed', 'ing', 'ated', 'ating', 'bled', 'bling', 'ized', 'izing', 'y', 'ly', 'ily'],
  ...['ational', 'tional', 'enci', 'ency', 'anci', 'ancy', 'izer', 'bli', 'bly', 'alli', 'ally', 'entli', 'ently', 'eli', 'ely'],
  ...['ousli', 'ously', 'ization', 'izations', 'ation', 'ations', 'ator', 'ators', 'alism', 'iveness', 'fulness', 'ousness'],
  ...['aliti', 'ality', 'iviti', 'ivity', 'biliti', 'bility', 'ibility', 'ability', 'logi', 'logy', 'icate', 'ative', 'alize'],
  ...['iciti', 'icity', 'ical', 'ful', 'ness', 'al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent'],
  ...['ion', 'sion', 'tion', 'ou', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'e', 'll', 'ller', 'lled'],
];

describe('the words an excerpt looks up', () => {
  const notes = join(import.meta.dirname, 'fixtures', 'search-eval', 'notes');
  const text = readdirSync(notes, { recursive: true })
    .filter((path) => String(path).endsWith('.md'))
    .map((path) => readFileSync(join(notes, String(path)), 'utf8'))
    .join('\n');
  const words = [...new Set(text.toLowerCase().match(/[a-z0-9]+/g) ?? [])];

  it('every ASCII word starts with the lead of its own FTS5 stem: none that could match is skipped', () => {
    // The labelled set's words, each with every suffix porter rewrites, and with a trailing y or e taken off first.
    const roots = words.flatMap((word) => [word, word.replace(/[ye]$/, '')]);
    const forms = [...new Set([...words, ...roots.flatMap((root) => SUFFIXES.map((suffix) => root + suffix))])];
    expect(forms.length).toBeGreaterThan(100_000);
    const stems = fts5Stems(forms);
    const skipped = forms.filter((form, i) => {
      const stem = stems[i]?.[0];
      return stem !== undefined && !form.startsWith(stemLead(stem));
    });
    expect(skipped).toEqual([]);
  });

  it('an excerpt finds a far inflection of the query word deep in a long note', () => {
    const [sensible, sensibility] = fts5Stems(['sensible', 'sensibility']);
    expect(sensibility).toEqual(sensible); // one stem, written with letters "sensibility" does not have there
    const { index } = SearchIndex.open(':memory:');
    afterAll(() => index.close());
    const filler = Array.from({ length: 200 }, (_, i) => `Filler sentence number ${i} about nothing.`).join(' ');
    const body = `${filler} The defaults show real sensibility about timeouts. ${filler}`;
    index.apply([{ note: { path: 'long.md', title: 'Defaults', type: null, domain: null, tags: [], body, size: body.length, mtimeMs: 1, ino: 1, sha256: '0'.repeat(64) } }]);
    const [hit] = index.search({ query: 'sensible', limit: 1 });
    expect(hit?.excerpt).toContain('real sensibility about timeouts');
  });
});
