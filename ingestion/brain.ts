/**
 * The brain: markdown notes under `BRAIN_DIR/knowledge`, the source of truth, and the search index
 * derived from them. Every change — a write through the API, an edit on disk — ends with the
 * index agreeing with the file. This is where the parts meet: writes (note-writer.ts), the index
 * kept in line with the disk (disk-sync.ts), reads (note-files.ts) and the index threads.
 */
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { badRequest, noteNotFound, notReady } from './errors.js';
import { noteTags, parseNote } from './frontmatter.js';
import { DiskSync, type ReconcileReport } from './disk-sync.js';
import { IndexWriter, SearchPool } from './index-thread.js';
import { KeyedLock } from './keyed-lock.js';
import { MALFORMED_KEPT, MalformedNotes } from './malformed-notes.js';
import { describeNote, hashBytes, readForIndexing, readWhole, toIndexed } from './note-files.js';
import { normaliseNoteName, placeNote } from './note-names.js';
import { NoteWriter } from './note-writer.js';
import { isIndexDamage, type IndexChange } from './search-index.js';
import {
  describeIssue,
  NoteListRequest,
  QueryBody,
  type NoteListing,
  type NoteResponse,
  type QueryRequest,
  type SearchHit,
  type WriteRequest,
  type WriteResult,
} from '../common/brain-contract.js';

export type { ReconcileReport } from './disk-sync.js';

/** A note as GET /notes answers it, plus its whole file as written (sent for Accept: text/markdown). */
export interface Note extends NoteResponse {
  text: string;
}

/** After a write the index could not take (its disk full), the first look again comes after this; then twice as long each time, up to a minute. */
const INDEX_RETRY_MS = 1_000;
const INDEX_RETRY_MAX_MS = 60_000;

export class Brain {
  readonly knowledgeDir: string;
  /** Notes whose frontmatter does not parse, as the index last read them (bounded; filled from the index at load). */
  readonly malformed = new MalformedNotes();
  private readonly sync: DiskSync;
  private readonly writer: NoteWriter;
  private readonly changeListeners = new Set<() => void>();
  private readonly scanListeners = new Set<(report: ReconcileReport) => void>();
  // The generation: this run's id and the index changes it made; a restart makes a new id.
  private readonly runId = randomUUID().slice(0, 8);
  private changes = 0;
  private indexRetry: NodeJS.Timeout | null = null;
  /** While the index is rebuilt after damage: why, and the rebuild. */
  private healing: { reason: string; done: Promise<ReconcileReport> } | null = null;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly index: IndexWriter,
    private readonly searches: SearchPool,
    private readonly logger: Logger,
  ) {
    this.knowledgeDir = join(dir, 'knowledge');
    const locks = new KeyedLock();
    const apply = (changes: IndexChange[]) => this.applyToIndex(changes);
    const loaded = () => this.loadMalformed();
    const scanned = (report: ReconcileReport) => this.scanListeners.forEach((listener) => listener(report));
    this.sync = new DiskSync({ knowledgeDir: this.knowledgeDir, index, apply, loaded, locks, scanned, logger });
    this.writer = new NoteWriter({ knowledgeDir: this.knowledgeDir, locks, index: (path, absolute) => this.indexWritten(path, absolute), logger });
  }

  /**
   * Opens the brain at `dir`, creating its folders. The index is usable once `reconcile` ran.
   * `searches` sizes the reader threads (index-thread.ts has the defaults).
   */
  static async open(dir: string, logger: Logger, searches: { threads?: number; maxWaiting?: number } = {}): Promise<Brain> {
    await mkdir(join(dir, 'knowledge'), { recursive: true });
    const indexDir = join(dir, '.index');
    await mkdir(indexDir, { recursive: true });
    // The index is derived and rebuilt at will: keep it out of a brain that lives in git.
    await writeFile(join(indexDir, '.gitignore'), '*\n');
    const file = join(indexDir, 'brain.sqlite');
    // Damage found while in use is told to the brain, which does not exist yet while the index opens.
    const opened: { brain?: Brain } = {};
    const damaged = (reason: string) => void opened.brain?.heal(reason);
    const { writer, rebuilt, reason } = await IndexWriter.open(file, damaged);
    if (reason) logger.warn({ reason }, 'search index rebuilt from the notes');
    else if (rebuilt) logger.info('search index created');
    const pool = new SearchPool(file, searches.threads, searches.maxWaiting);
    pool.onDamage = damaged;
    pool.warm();
    opened.brain = new Brain(dir, writer, pool, logger);
    return opened.brain;
  }

  get ready(): boolean {
    return this.sync.loading === null;
  }

  /** While the index is rebuilt after SQLite found it damaged: what it said. Null otherwise. */
  get damage(): string | null {
    return this.healing?.reason ?? null;
  }

  /** Why the brain cannot serve as it should even though it is loaded; null when all is well. */
  get problem(): string | null {
    if (!statSync(this.knowledgeDir, { throwIfNoEntry: false })?.isDirectory()) {
      return 'the knowledge/ folder is missing (deleted or being replaced); it is created again at the next write, or restore it';
    }
    return null;
  }

  noteCount(): number {
    return this.index.count;
  }

  /**
   * A value that changes whenever notes were added, changed or removed in the index (through a
   * write or on disk), and when the service restarts: GET /ready publishes it for team-mode polling.
   */
  get generation(): string {
    return `${this.runId}.${this.changes}`;
  }

  /**
   * Calls `listener` after each batch of index changes that added, changed or removed notes (writes
   * through the API and edits on disk alike), undebounced; returns the unsubscribe.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Calls `listener` with the report of each periodic rescan once it is done; returns the unsubscribe. */
  onRescan(listener: (report: ReconcileReport) => void): () => void {
    this.scanListeners.add(listener);
    return () => this.scanListeners.delete(listener);
  }

  /**
   * Brings the index in line with the files (disk-sync.ts): the first load, and any time after. An
   * index found damaged on the way is rebuilt from the notes, and that rebuild's report answers.
   */
  async reconcile(): Promise<ReconcileReport> {
    try {
      return await this.sync.reconcile();
    } catch (error) {
      if (!isIndexDamage((error as { code?: unknown }).code)) throw error;
      return this.heal((error as Error).message);
    }
  }

  /**
   * Rebuilds the index from the notes, once at a time, when SQLite found it damaged: the notes are
   * the truth and are not touched. Searches say so (503) until it is done. A rebuild that fails (a
   * full disk) is tried again later, the brain saying why meanwhile.
   */
  private heal(reason: string): Promise<ReconcileReport> {
    if (this.healing) return this.healing.done;
    this.logger.error({ reason }, 'the search index is damaged; rebuilding it from the notes');
    const done = this.sync.reload(async () => {
      await this.index.rebuild();
      this.malformed.load([], 0);
      this.searches.restart();
    });
    this.healing = { reason, done };
    done.then(
      (report) => {
        this.healing = null;
        this.logger.warn({ ...report, notes: this.noteCount() }, 'search index rebuilt from the notes after damage');
      },
      (error: unknown) => {
        this.logger.error({ err: error }, 'rebuilding the damaged search index failed; trying again shortly');
        const retry = setTimeout(() => {
          this.healing = null;
          if (!this.closed) void this.heal(reason).catch(() => undefined);
        }, INDEX_RETRY_MS * 5);
        retry.unref();
      },
    );
    return done;
  }

  /**
   * Follows edits made on disk from now on, and rescans the brain every `rescanSeconds` (unset: a
   * minute, longer for a brain whose rescan takes long; disk-sync.ts) for what the folder watches
   * missed; call before `reconcile`, which adds the subfolders.
   */
  watch(rescanSeconds?: number): void {
    this.sync.watch(rescanSeconds);
  }

  /** Resolves once every change seen so far is in the index. */
  settled(): Promise<void> {
    return this.sync.settled();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.indexRetry) clearTimeout(this.indexRetry);
    // Files replaced by a rewrite are looked at a last time (note-writer.ts) and closed.
    await this.writer.close();
    await this.sync.close();
    await Promise.all([this.searches.close(), this.index.close()]);
  }

  /**
   * Checked with POST /query's own rules, whoever asks; tags are matched without a leading #.
   * Answered by a reader thread: a search never holds this thread, nor waits for a write.
   */
  async search(query: QueryRequest): Promise<SearchHit[]> {
    const checked = QueryBody.safeParse(query);
    if (!checked.success) throw badRequest(describeIssue(checked.error));
    this.checkLoaded();
    const { tags } = checked.data;
    return this.whileIntact(() => this.searches.search({ ...checked.data, tags: tags === undefined ? undefined : noteTags(tags) }));
  }

  async read(name: string): Promise<Note> {
    const path = normaliseNoteName(name);
    const absolute = await placeNote(this.knowledgeDir, path, { create: false });
    const bytes = await readWhole(absolute, path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') throw noteNotFound(path);
      throw error;
    });
    const sha256 = await hashBytes(bytes);
    const text = bytes.toString('utf8');
    const parsed = parseNote(text);
    return { path, ...describeNote(parsed, path), frontmatter: parsed.data, body: parsed.body, sha256, text };
  }

  /**
   * A page of the notes by path (GET /notes), from the index: what the last change applied left
   * there. Checked with GET /notes's own rules, whoever asks; answered by a reader thread.
   */
  async list(request: NoteListRequest): Promise<NoteListing> {
    const checked = NoteListRequest.safeParse(request);
    if (!checked.success) throw badRequest(describeIssue(checked.error));
    this.checkLoaded();
    return this.whileIntact(() => this.searches.list(checked.data));
  }

  /** Searches and listings wait for the index to be loaded (or rebuilt): 503 meanwhile, saying which. */
  private checkLoaded(): void {
    const loading = this.sync.loading;
    if (loading) throw notReady(loading.read, loading.total, this.damage);
  }

  /** A read that found the index damaged answers as the reads after it will: rebuilding, retry shortly. */
  private async whileIntact<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (!isIndexDamage((error as { code?: unknown }).code)) throw error;
      this.checkLoaded();
      throw notReady(0, 0, this.damage ?? (error as Error).message);
    }
  }

  /** Writes a note (note-writer.ts): create, overwrite or append, whole or not at all. */
  write(request: WriteRequest): Promise<WriteResult> {
    return this.writer.write(request);
  }

  /** Applies changes to the index and tells the listeners when notes really changed. */
  private async applyToIndex(changes: IndexChange[]): Promise<void> {
    const changed = await this.index.apply(changes);
    for (const change of changes) {
      if ('remove' in change) this.malformed.removed(change.remove);
      else this.malformed.seen(change.note.path, change.note.problem);
    }
    this.malformed.counted(this.index.malformedCount);
    if (changed === 0) return;
    this.changes++;
    for (const listener of [...this.changeListeners]) {
      try {
        listener();
      } catch (error) {
        this.logger.error({ err: error }, 'a brain change listener failed');
      }
    }
  }

  /**
   * Fills the list of notes that do not parse from the index, which keeps each note's problem: a
   * broken note unchanged since the last run is not read again at start, yet is listed. Asked of the
   * writer thread, which answers after every change asked for before, so the list and the count
   * agree with the index as it is then; changes after it update the list as they are applied.
   */
  private async loadMalformed(): Promise<void> {
    const notes = await this.index.malformedNotes(MALFORMED_KEPT);
    this.malformed.load(notes, this.index.malformedCount);
  }

  /**
   * Indexes a note just written, as its file is now (others may have added to it), and answers the
   * file's sha256. The note is on disk whatever the index does: when the index cannot take it (its
   * disk full too), the write still stands, and the index catches up from the files once it can.
   */
  private async indexWritten(path: string, absolute: string): Promise<string> {
    const { text, sha256, stamp } = await readForIndexing(absolute);
    try {
      await this.applyToIndex([{ note: toIndexed(path, text, sha256, stamp, this.logger) }]);
    } catch (error) {
      this.logger.error({ path, err: error }, 'a written note could not be indexed yet; the index catches up from the files');
      this.catchUpLater();
    }
    return sha256;
  }

  /** Reconciles the index with the files soon, and again, further apart, until it succeeds. */
  private catchUpLater(): void {
    if (this.indexRetry) return;
    const attempt = (delayMs: number) => {
      if (this.closed) return;
      this.indexRetry = setTimeout(() => {
        this.sync.reconcile().then(
          (report) => {
            this.indexRetry = null;
            this.logger.info(report, 'the index caught up with the notes written while it failed');
          },
          (error: unknown) => {
            this.logger.warn({ err: error }, 'the index still cannot catch up; trying again');
            attempt(Math.min(delayMs * 2, INDEX_RETRY_MAX_MS));
          },
        );
      }, delayMs);
      this.indexRetry.unref();
    };
    attempt(INDEX_RETRY_MS);
  }
}
