/**
 * Keeps the index in line with the notes on disk, whoever changes them: the first load, edits seen
 * by the folder watches, and a periodic rescan for what the watches miss. Reconciling and applying
 * changes run one after another, never interleaved: each reads files and then updates the index,
 * and an older read must never land after a newer one.
 */
import { unlinkSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isStaleTempFile } from './atomic-file.js';
import { RESCAN_SECONDS } from './config.js';
import type { IndexWriter } from './index-thread.js';
import type { KeyedLock } from './keyed-lock.js';
import { MAX_READ_FOR_INDEX_BYTES, noteFilesUnder, readForIndexing, sameStamp, toIndexed, toStamp } from './note-files.js';
import type { FileStamp, IndexChange, IndexedNote } from './search-index.js';
import { toColumns } from './stamp-check.js';
import { FolderWatcher, type ChangeBatch } from './watcher.js';

export interface ReconcileReport {
  indexed: number;
  removed: number;
  unchanged: number;
  failed: number;
  ms: number;
}

/** While the index loads: how many of the changed notes were read so far. */
export interface LoadProgress {
  read: number;
  total: number;
}

// Notes are read and parsed a slice at a time, so this thread is never held long, and sent to the
// index thread in batches of one transaction each: a large transaction costs FTS5 fewer segments to
// merge (2,000 notes a commit built 100k notes 18 % faster than 200), and a write waits behind one
// batch at most (~0.4 s). Both bounded in bytes too, so memory stays bounded whatever the notes' sizes.
const READ_SLICE = 200;
const READ_SLICE_BYTES = 16 * 1024 * 1024;
const WRITE_BATCH = 2000;
const WRITE_BATCH_BYTES = 16 * 1024 * 1024;
// The watches see edits within milliseconds; this cheap scan (a stat per note, files read only when
// their stamp changed) is the safety net for what they can miss: a watch limit reached, events
// lost under load, a folder swapped between two looks. Its period is INGEST_RESCAN_SECONDS (config.ts)
// when set, else nextRescanMs's.
/** Walked notes sent to the writer thread to compare at once: a few round trips per 10,000 notes. */
const CHECK_SLICE = 2000;
/** By default a rescan waits this many times the last one's length (nextRescanMs). */
const RESCAN_WAIT_FACTOR = 100;

/**
 * The wait before the next rescan: `rescanSeconds` when set (INGEST_RESCAN_SECONDS). By default
 * RESCAN_SECONDS.fallback, or RESCAN_WAIT_FACTOR times the last rescan's length when that is longer,
 * so that on a large brain the safety net takes ~1 % of the time (a rescan of 300,000 notes takes
 * ~3.5 s: every ~6 min instead of every minute; of 10,000, ~0.1 s: every minute still), but never
 * more than RESCAN_SECONDS.adaptiveMax: a missed edit is found within that, whatever the brain's size.
 */
export function nextRescanMs(lastRescanMs: number, rescanSeconds?: number): number {
  if (rescanSeconds !== undefined) return rescanSeconds * 1000;
  const longest = RESCAN_SECONDS.adaptiveMax * 1000;
  return Math.min(longest, Math.max(RESCAN_SECONDS.fallback * 1000, lastRescanMs * RESCAN_WAIT_FACTOR));
}

export interface DiskSyncOptions {
  knowledgeDir: string;
  index: IndexWriter;
  /** Applies changes to the index (and tells the brain's listeners). */
  apply: (changes: IndexChange[]) => Promise<void>;
  /**
   * Called once the index has first loaded (or loaded again after a rebuild), before it is said to be
   * ready: the brain reads from it what it keeps in memory (the notes that do not parse).
   */
  loaded: () => Promise<void>;
  /** The brain's per-note locks: a note re-read from disk waits for a write of ours to it. */
  locks: KeyedLock;
  /** Told each periodic scan's report once it is done (GET /metrics counts them). */
  scanned?: ((report: ReconcileReport) => void) | undefined;
  logger: Logger;
}

export class DiskSync {
  private watcher: FolderWatcher | null = null;
  private rescan: NodeJS.Timeout | null = null;
  /** Set while the index first loads (null once loaded). */
  loading: LoadProgress | null = { read: 0, total: 0 };
  // Temp files left by a crash are removed during the first walk only: later, a temp file may be
  // another write of ours in progress (those are known) or of another process (not known).
  private sweepStaleTemps = true;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: DiskSyncOptions) {}

  /**
   * Brings the index in line with the files: reads only files whose size, mtime or inode changed
   * since they were indexed, and forgets notes whose file is gone. Yields between batches so the
   * service keeps answering (health, writes) while a large brain loads. Folders found on the way
   * are watched when `watch` was called first.
   */
  reconcile(): Promise<ReconcileReport> {
    return this.serially(() => this.reconcileNow());
  }

  /**
   * Loads the index again from scratch, as at the first start: `reset` empties it (a rebuild after
   * damage), then every note is read. Reported as loading meanwhile.
   */
  reload(reset: () => Promise<void>): Promise<ReconcileReport> {
    return this.serially(async () => {
      this.loading = { read: 0, total: 0 };
      await reset();
      return this.reconcileNow();
    });
  }

  /**
   * Follows edits made on disk from now on, and rescans the whole brain `rescanSeconds` after the
   * last rescan ended, or by default as often as nextRescanMs allows; call before `reconcile`, which
   * adds the subfolders.
   */
  watch(rescanSeconds?: number): void {
    if (this.watcher) return;
    const { knowledgeDir, logger } = this.options;
    this.watcher = new FolderWatcher(knowledgeDir, (batch) => void this.applyChanges(batch), logger);
    this.watcher.watchRootEntry();
    this.watcher.watchFolder('');
    this.scheduleRescan(nextRescanMs(0, rescanSeconds), rescanSeconds);
  }

  /** Resolves once every change seen so far is in the index. */
  async settled(): Promise<void> {
    await this.queue;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.rescan) clearTimeout(this.rescan);
    this.rescan = null;
    this.watcher?.close();
    this.watcher = null;
    await this.queue;
  }

  private async reconcileNow(): Promise<ReconcileReport> {
    const started = performance.now();
    const { index } = this.options;
    // The writer thread compares what the walk finds with the index, a slice at a time, one slice
    // while the next is walked: the index's stamps of every note never come to this thread.
    await index.beginStampCheck();
    const changed: Array<[string, FileStamp]> = [];
    const compare = async (walked: Array<[string, FileStamp]>) => {
      for (const at of await index.changedStamps(toColumns(walked))) changed.push(walked[at] as [string, FileStamp]);
    };
    let comparing: Promise<void> = Promise.resolve();
    let walked: Array<[string, FileStamp]> = [];
    let found = 0;
    for await (const entry of this.walk('', (folder) => this.watcher?.watchFolder(folder))) {
      found++;
      walked.push(entry);
      if (walked.length === CHECK_SLICE) {
        await comparing;
        comparing = compare(walked);
        comparing.catch(() => undefined); // awaited before the next slice; meanwhile not an unhandled rejection
        walked = [];
      }
    }
    await comparing;
    await compare(walked);
    const gone = await index.endStampCheck();
    const unchanged = found - changed.length;
    this.sweepStaleTemps = false;
    // Progress is reported while the index first loads; a later scan leaves the brain ready.
    const progress = this.loading ? (this.loading = { read: 0, total: changed.length }) : null;
    let indexed = 0;
    let failed = 0;
    // The index thread writes one batch while this thread reads and parses the next, a slice at a time.
    let writing: Promise<void> = Promise.resolve();
    let pending: IndexChange[] = [];
    let pendingBytes = 0;
    for (const slice of slices(changed)) {
      const read = await Promise.all(slice.map(([path]) => this.readForIndex(path)));
      for (const note of read) {
        if (!note) {
          failed++;
          continue;
        }
        indexed++;
        pending.push({ note });
        pendingBytes += note.body.length;
      }
      if (pending.length >= WRITE_BATCH || pendingBytes >= WRITE_BATCH_BYTES) {
        await writing;
        writing = this.options.apply(pending);
        writing.catch(() => undefined); // awaited before the next batch; meanwhile not an unhandled rejection
        pending = [];
        pendingBytes = 0;
      }
      if (progress) progress.read += slice.length;
      await nextTick();
    }
    await writing;
    await this.options.apply([...pending, ...gone.map((path) => ({ remove: path }))]);
    if (progress) await this.options.loaded();
    this.loading = null;
    return { indexed, removed: gone.length, unchanged, failed, ms: Math.round(performance.now() - started) };
  }

  /** The next rescan, `ms` from now; each is timed from the end of the one before, so none overlap. */
  private scheduleRescan(ms: number, rescanSeconds: number | undefined): void {
    this.rescan = setTimeout(() => {
      void this.scanForMissedChanges().then((tookMs) => {
        if (!this.closed) this.scheduleRescan(nextRescanMs(tookMs, rescanSeconds), rescanSeconds);
      });
    }, ms);
    this.rescan.unref();
  }

  /** One rescan; resolves with how long it took (0 if it failed). */
  private async scanForMissedChanges(): Promise<number> {
    try {
      const report = await this.reconcile();
      this.options.scanned?.(report);
      if (report.indexed + report.removed > 0) this.options.logger.info(report, 'periodic scan found changes the folder watches missed');
      return report.ms;
    } catch (error) {
      this.options.logger.error({ err: error }, 'periodic scan of the brain failed');
      return 0;
    }
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private applyChanges(batch: ChangeBatch): Promise<void> {
    return this.serially(async () => {
      for (const folder of batch.folders) await this.refreshFolder(folder);
      for (const path of batch.paths) await this.refreshPath(path);
    }).catch((error: unknown) => this.options.logger.error({ err: error }, 'failed to apply changes from disk'));
  }

  /** Re-reads whatever is at `path` now: a note, a new folder, or nothing any more. */
  private async refreshPath(path: string): Promise<void> {
    const { knowledgeDir, index, apply, locks } = this.options;
    const stat = await lstat(join(knowledgeDir, path)).catch(() => null);
    if (stat?.isDirectory()) return this.refreshFolder(path);
    if (!stat) {
      this.watcher?.unwatchFolder(path);
      const inside = await index.pathsUnder(path);
      await apply([path, ...inside].map((gone) => ({ remove: gone })));
      return;
    }
    if (!stat.isFile() || !path.endsWith('.md')) return;
    await locks.run(path, async () => {
      const known = await index.stamp(path);
      if (known && sameStamp(known, toStamp(stat))) return; // our own write, or a touch
      const note = await this.readForIndex(path);
      if (note) await apply([{ note }]);
    });
  }

  /** Watches `folder` and its subfolders and re-reads what changed in them. */
  private async refreshFolder(folder: string): Promise<void> {
    // Its name changed in its parent: whatever is there now (if anything) is a new folder, maybe
    // with the same inode number, so it and everything below are watched afresh by the walk.
    this.watcher?.unwatchFolder(folder);
    const present = new Set<string>();
    for await (const [path] of this.walk(folder, (sub) => this.watcher?.watchFolder(sub))) {
      present.add(path);
      await this.refreshPath(path);
    }
    const { index, apply } = this.options;
    const inFolder = folder === '' ? [...(await index.stamps()).keys()] : await index.pathsUnder(folder);
    await apply(inFolder.filter((path) => !present.has(path)).map((path) => ({ remove: path })));
  }

  /** Every note file below `folder`, with its stamp (noteFilesUnder); stale temp files are removed on the first walk. */
  private walk(folder: string, onFolder?: (folder: string) => void): AsyncGenerator<[string, FileStamp]> {
    return noteFilesUnder(this.options.knowledgeDir, folder, {
      onFolder,
      onHiddenFile: (absolute, name) => {
        if (this.sweepStaleTemps && isStaleTempFile(absolute, name)) this.removeStaleTemp(join(relative(this.options.knowledgeDir, absolute), name));
      },
    });
  }

  /** A temp file left by a write that never finished (the process was killed): nobody will finish it. */
  private removeStaleTemp(path: string): void {
    try {
      unlinkSync(join(this.options.knowledgeDir, path));
      this.options.logger.info({ path }, 'removed a temp file left by an interrupted write');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.options.logger.warn({ path, err: error }, 'cannot remove a stale temp file');
    }
  }

  private async readForIndex(path: string): Promise<IndexedNote | null> {
    try {
      const { text, sha256, stamp } = await readForIndexing(join(this.options.knowledgeDir, path));
      return toIndexed(path, text, sha256, stamp, this.options.logger);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.options.logger.warn({ path, err: error }, 'cannot read note; left out of the index');
      }
      return null;
    }
  }
}

/** The changed notes in slices of at most READ_SLICE notes and READ_SLICE_BYTES (one note may exceed it alone). */
function* slices(changed: Array<[string, FileStamp]>): Generator<Array<[string, FileStamp]>> {
  let slice: Array<[string, FileStamp]> = [];
  let bytes = 0;
  for (const entry of changed) {
    if (slice.length === READ_SLICE || (slice.length > 0 && bytes + entry[1].size > READ_SLICE_BYTES)) {
      yield slice;
      slice = [];
      bytes = 0;
    }
    slice.push(entry);
    bytes += Math.min(entry[1].size, MAX_READ_FOR_INDEX_BYTES);
  }
  if (slice.length > 0) yield slice;
}
