/**
 * A reconcile's comparison of the stamps found on disk with those in the index, kept in the writer
 * thread (index-worker.ts): the walk sends what it found a slice at a time and hears back which of
 * them changed, and at the end which indexed notes it never found. The event loop so never receives
 * the index's stamps of every note at once, nor builds a map of them: at 100,000 notes that alone
 * held it for a tenth of a second.
 *
 * The index's stamps are read a page at a time too, each page a call of its own, because a write
 * waits for whatever the writer thread is doing: reading all 100,000 at once held it 110-160 ms, and
 * about a second at 300,000. Pages follow note ids, so writes landing between two pages skip no note
 * that was there before, and a note indexed again meanwhile (a new id) keeps one position. Every page
 * is read before the walk begins: a note the walk does not find was indexed before it looked.
 */
import type { FileStamp, StampColumns } from './search-index.js';

/** Notes whose stamps are read from the index in one call: about 12 ms of the writer thread. */
export const STAMP_PAGE = 10_000;

/** A page of the index's stamps, in the order of their note ids: [id, path, size, mtimeMs, ino]. */
export type StampRow = [number, string, number, number, number];

export class StampCheck {
  /** Each indexed path's position in `stamps` (÷ 3) and `found`. */
  private readonly positions = new Map<string, number>();
  private readonly paths: string[] = [];
  /** size, mtimeMs and ino of each indexed path, three numbers a path. */
  private readonly stamps: number[] = [];
  /** Whether the walk found the note at each position; allocated once every page is read. */
  private found: Uint8Array | null = null;
  /** The id of the last note read: the next page begins after it. */
  private lastId = 0;

  /**
   * Reads the next page of the index's stamps with `page(afterId, limit)`; false once there is none
   * left, when the comparison can begin.
   */
  load(page: (afterId: number, limit: number) => StampRow[], limit = STAMP_PAGE): boolean {
    if (this.found) return false;
    const rows = page(this.lastId, limit);
    for (const [id, path, size, mtimeMs, ino] of rows) {
      this.lastId = id;
      // Removed and indexed again since an earlier page (a new id): one position still, the newer stamp.
      const known = this.positions.get(path);
      if (known !== undefined) {
        this.stamps[known * 3] = size;
        this.stamps[known * 3 + 1] = mtimeMs;
        this.stamps[known * 3 + 2] = ino;
        continue;
      }
      this.positions.set(path, this.paths.length);
      this.paths.push(path);
      this.stamps.push(size, mtimeMs, ino);
    }
    if (rows.length === limit) return true;
    this.found = new Uint8Array(this.paths.length);
    return false;
  }

  /**
   * The positions in `walked` of the notes that are new or whose stamp differs from the index's: the
   * three fields sameStamp (note-files.ts) compares, read here from the columns.
   */
  changed(walked: StampColumns): number[] {
    const { stamps } = this;
    const found = this.loaded();
    const changed: number[] = [];
    walked.paths.forEach((path, i) => {
      const at = this.positions.get(path);
      if (at === undefined) return void changed.push(i);
      found[at] = 1;
      if (stamps[at * 3] !== walked.size[i] || stamps[at * 3 + 1] !== walked.mtimeMs[i] || stamps[at * 3 + 2] !== walked.ino[i]) changed.push(i);
    });
    return changed;
  }

  /** The indexed notes the walk did not find: their files are gone. */
  missing(): string[] {
    const found = this.loaded();
    return this.paths.filter((_, i) => found[i] === 0);
  }

  private loaded(): Uint8Array {
    if (!this.found) throw new Error("every page of the index's stamps must be read first");
    return this.found;
  }
}

/** Walked notes as the columns StampCheck compares: cheaper to send to a thread than a pair per note. */
export function toColumns(walked: ReadonlyArray<readonly [string, FileStamp]>): StampColumns {
  const columns: StampColumns = {
    paths: new Array<string>(walked.length),
    size: new Float64Array(walked.length),
    mtimeMs: new Float64Array(walked.length),
    ino: new Float64Array(walked.length),
  };
  walked.forEach(([path, stamp], i) => {
    columns.paths[i] = path;
    columns.size[i] = stamp.size;
    columns.mtimeMs[i] = stamp.mtimeMs;
    columns.ino[i] = stamp.ino;
  });
  return columns;
}
