/**
 * A reconcile reads the index's stamps a page at a time (ingestion/stamp-check.ts), and writes land
 * between the pages: what it says changed and what it says is gone must still be right, or a note
 * is read again for nothing, never read, or dropped from the index while its file is there.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SearchIndex, type IndexedNote } from '../ingestion/search-index.js';
import { StampCheck, toColumns } from '../ingestion/stamp-check.js';
import type { FileStamp } from '../ingestion/search-index.js';

const PAGE = 10;

function note(path: string, stamp: FileStamp): IndexedNote {
  return { path, title: path, type: null, domain: null, tags: [], body: `the note ${path}`, ...stamp, sha256: '0'.repeat(64) };
}

const stampOf = (i: number): FileStamp => ({ size: 100 + i, mtimeMs: 1_700_000_000_000 + i, ino: 5_000 + i });

let index: SearchIndex;
let check: StampCheck;
/** Reads the next page of stamps; false once every page is read. */
const loadPage = () => check.load((afterId, limit) => index.stampsAfter(afterId, limit), PAGE);

beforeEach(() => {
  index = SearchIndex.open(':memory:').index;
  index.apply(Array.from({ length: 25 }, (_, i) => ({ note: note(`n${i}.md`, stampOf(i)) })));
  check = new StampCheck();
});
afterEach(() => index.close());

describe('the stamp check, its stamps read a page at a time', () => {
  it('reads every note once, in pages of the size asked, and compares all of them', () => {
    const pages = [loadPage(), loadPage(), loadPage()];
    expect(pages).toEqual([true, true, false]);
    const disk = Array.from({ length: 25 }, (_, i) => [`n${i}.md`, stampOf(i)] as [string, FileStamp]);
    disk[7] = ['n7.md', { ...stampOf(7), size: 999 }]; // edited on disk
    disk.push(['new.md', stampOf(99)]); // not indexed yet
    disk.splice(3, 1); // n3.md deleted
    const changed = check.changed(toColumns(disk)).map((at) => disk[at]?.[0]);
    expect(changed).toEqual(['n7.md', 'new.md']);
    expect(check.missing()).toEqual(['n3.md']);
  });

  it('stays right when notes are written, removed and indexed again between two pages', () => {
    expect(loadPage()).toBe(true); // n0–n9 read
    // Meanwhile: n2 is removed and indexed again (it gets a new id, after every page so far), n15
    // is rewritten in place, n20 is removed, and a new note arrives.
    index.apply([{ remove: 'n2.md' }]);
    index.apply([{ note: note('n2.md', stampOf(2)) }, { note: note('n15.md', { ...stampOf(15), size: 1 }) }, { remove: 'n20.md' }]);
    index.apply([{ note: note('late.md', stampOf(50)) }]);
    while (loadPage());
    // The disk as the walk finds it afterwards: every note indexed now, with its file's stamp.
    const disk: Array<[string, FileStamp]> = Array.from({ length: 25 }, (_, i) => [`n${i}.md`, stampOf(i)] as [string, FileStamp]).filter(([path]) => path !== 'n20.md');
    disk.push(['n15.md', { ...stampOf(15), size: 1 }], ['late.md', stampOf(50)]);
    disk.splice(15, 1); // the old n15.md entry: its file now has the rewritten stamp
    const changed = check.changed(toColumns(disk)).map((at) => disk[at]?.[0]);
    expect(changed).toEqual([]);
    expect(check.missing()).toEqual([]);
  });

  it('will not compare before every page is read', () => {
    expect(loadPage()).toBe(true);
    expect(() => check.changed(toColumns([['n1.md', stampOf(1)]]))).toThrow(/every page/);
  });
});
