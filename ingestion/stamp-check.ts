/**
 * A reconcile's comparison of the stamps found on disk with those in the index, kept in the writer
 * thread (index-worker.ts): the walk sends what it found a slice at a time and hears back which of
 * them changed, and at the end which indexed notes it never found. The event loop so never receives
 * the index's stamps of every note at once, nor builds a map of them: at 100,000 notes that alone
 * held it for a tenth of a second.
 */
import type { FileStamp, StampColumns } from './search-index.js';

export class StampCheck {
  /** Each indexed path's position in the columns. */
  private readonly positions = new Map<string, number>();
  /** Whether the walk found the note at each position. */
  private readonly found: Uint8Array;

  constructor(private readonly known: StampColumns) {
    known.paths.forEach((path, i) => this.positions.set(path, i));
    this.found = new Uint8Array(known.paths.length);
  }

  /**
   * The positions in `walked` of the notes that are new or whose stamp differs from the index's: the
   * three fields sameStamp (note-files.ts) compares, read here from the columns.
   */
  changed(walked: StampColumns): number[] {
    const { known } = this;
    const changed: number[] = [];
    walked.paths.forEach((path, i) => {
      const at = this.positions.get(path);
      if (at === undefined) return void changed.push(i);
      this.found[at] = 1;
      if (known.size[at] !== walked.size[i] || known.mtimeMs[at] !== walked.mtimeMs[i] || known.ino[at] !== walked.ino[i]) changed.push(i);
    });
    return changed;
  }

  /** The indexed notes the walk did not find: their files are gone. */
  missing(): string[] {
    return this.known.paths.filter((_, i) => this.found[i] === 0);
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
