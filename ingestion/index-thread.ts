/**
 * The search index runs in worker threads (index-worker.ts) so that no search, batch of changes or
 * index build ever holds the service's event loop: one writer thread owns the only connection that
 * changes the index, and a pool of reader threads answers searches on read-only connections (SQLite
 * WAL lets them read the last commit while the writer goes on). This is the event loop's side.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NoteListing, NoteListQuery, SearchHit } from '../common/brain-contract.js';
import { BrainError } from './errors.js';
import type { CallMessage, IndexRole, ReplyMessage } from './index-worker.js';
import type { MalformedNote } from './malformed-notes.js';
import { isIndexDamage, type ApplyResult, type FileStamp, type IndexChange, type SearchQuery, type StampColumns } from './search-index.js';

/** Where a test run has the compiled index-worker.js, built from the sources it tests (spawnIndexWorker). */
export const BUILT_WORKER_VARIABLE = 'SUPERVISOR_TEST_BUILT_INDEX_WORKER';
/** Reader threads per brain: searches beyond this many at once wait for one to be free. */
const SEARCH_THREADS = 2;
/** Searches that may wait for a reader; more are refused with 503 rather than queued without end. */
const MAX_WAITING_SEARCHES = 256;
/**
 * The longest a reader may take over one search or listing: past it the caller is answered with an
 * error and the thread is ended and replaced, so whatever made it slow cannot hold a reader (or the
 * shutdown). Searches take milliseconds (docs/search.md); only a fault gets near this.
 */
export const SEARCH_TIME_LIMIT_MS = 5_000;
/** How long closing waits for a reader to close its connection before ending its thread regardless. */
const CLOSE_WAIT_MS = 1_000;

/** One worker thread and the calls it has not answered yet. A thread that died is started again at the next call. */
class IndexThread {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private booted: Promise<void> | null = null;

  constructor(
    private readonly role: IndexRole,
    private readonly file: string,
    /** Told when SQLite says the index file is damaged: the brain then rebuilds it from the notes. */
    private readonly damaged: (reason: string) => void = () => undefined,
  ) {}

  /** Resolves once the thread has started and opened its connection (starting it if need be). */
  ready(): Promise<void> {
    this.booted ??= this.call('opened').then(
      () => undefined,
      (error: unknown) => {
        this.booted = null; // the next call starts it afresh
        throw error;
      },
    );
    return this.booted;
  }

  call<T>(method: CallMessage['method'], ...args: unknown[]): Promise<T> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    // A thread with nothing to do must not keep the process alive; one with work must, or a script
    // awaiting only the index would end before its answer.
    if (this.pending.size === 0) worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, method, args } satisfies CallMessage);
    });
  }

  /**
   * Closes the connection and ends the thread. `waitMs` bounds the wait for the thread to take the
   * close (it may be stuck in a long call); past it the thread is ended without waiting for it.
   */
  async close(waitMs = Infinity): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const closed = this.call('close').catch(() => undefined);
    if (waitMs !== Infinity) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), waitMs)));
      const outcome = await Promise.race([closed, late]);
      clearTimeout(timer);
      if (outcome === 'late') return this.abandon(new Error(`the search index ${this.role} thread did not close within ${waitMs} ms`));
    }
    await closed;
    this.worker = null;
    await worker.terminate();
  }

  /**
   * Lets the thread go without waiting for it: its calls are answered with `error`, a reply it still
   * sends is ignored, and it no longer keeps the process alive. It is not terminated while it works:
   * better-sqlite3 aborts the whole process (V8 "Empty MaybeLocal") when a statement ends or fails in
   * a thread being terminated. So it is asked to close once its current call is done (calls are
   * answered in order), and terminated then, idle, like any thread that closes.
   */
  abandon(error: Error): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    this.booted = null;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    const closeId = this.nextId++;
    worker.removeAllListeners();
    worker.on('error', () => undefined); // it is gone for us; its failure was answered above
    worker.on('message', (reply: ReplyMessage) => {
      if (reply.id === closeId) void worker.terminate();
    });
    worker.postMessage({ id: closeId, method: 'close', args: [] } satisfies CallMessage);
    worker.unref();
  }

  /** An error with SQLite's code kept; a damaged index is reported as such on the way. */
  private failure(message: string, code: unknown): Error {
    if (isIndexDamage(code)) this.damaged(message);
    return Object.assign(new Error(message), { code });
  }

  private start(): Worker {
    const worker = spawnIndexWorker(this.role, this.file);
    worker.on('message', (reply: ReplyMessage) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in reply) waiting.reject(this.failure(reply.error, reply.code));
      else waiting.resolve(reply.result);
    });
    const stopped = (why: string, code?: unknown) => {
      if (this.worker === worker) this.worker = null;
      this.booted = null;
      for (const waiting of this.pending.values()) waiting.reject(this.failure(`the search index ${this.role} thread stopped: ${why}`, code));
      this.pending.clear();
    };
    // A thread that cannot open the index (a reader started after the file was damaged) stops with SQLite's code.
    worker.on('error', (error) => stopped(error.message, (error as { code?: unknown }).code));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    return worker;
  }
}

/**
 * The thread of index-worker.ts. From the TypeScript sources (tests, tsx) the thread registers tsx
 * first, as its parent did, so it can load them too; the build runs the compiled file directly.
 * The test suite names the build of the same sources in BUILT_WORKER_VARIABLE (vitest.config.ts; its
 * global setup builds dist/ from the sources first): starting a thread through tsx costs ~250 ms of
 * CPU, and a test run starts thousands of them.
 */
function spawnIndexWorker(role: IndexRole, file: string): Worker {
  const workerData = { role, file };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./index-worker.js', import.meta.url), { workerData });
  const built = process.env[BUILT_WORKER_VARIABLE];
  if (built) return new Worker(built, { workerData });
  const entry = new URL('./index-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxLoader())}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/** The file URL of tsx's ESM API, as its package exports it (a thread started from code has no module to resolve from). */
function tsxLoader(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = exports['./esm/api']?.import.default;
  if (!api) throw new Error('tsx does not export ./esm/api; run the built service (npm run build) instead');
  return pathToFileURL(join(dirname(manifest), api)).href;
}

/** The writer thread: every change to the index goes through it, in the order it was asked for. */
export class IndexWriter {
  private constructor(
    private readonly thread: IndexThread,
    private notes: number,
    private malformed: number,
  ) {}

  /**
   * Opens (or creates, or rebuilds when unreadable or of another schema) the index at `file`.
   * `damaged` is told when SQLite finds the file damaged later, while in use.
   */
  static async open(file: string, damaged?: (reason: string) => void): Promise<{ writer: IndexWriter; rebuilt: boolean; reason?: string | undefined }> {
    const thread = new IndexThread('writer', file, damaged);
    const opened = await thread.call<{ rebuilt: boolean; reason?: string; count: number; malformed: number }>('opened');
    return { writer: new IndexWriter(thread, opened.count, opened.malformed), rebuilt: opened.rebuilt, reason: opened.reason };
  }

  /** Notes in the index after the last change applied. */
  get count(): number {
    return this.notes;
  }

  /** Of those, the notes whose frontmatter does not parse. */
  get malformedCount(): number {
    return this.malformed;
  }

  /** Applies the changes in one transaction; answers how many notes were added, changed or removed. */
  async apply(changes: IndexChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    const result = await this.thread.call<ApplyResult>('apply', changes);
    this.notes = result.count;
    this.malformed = result.malformed;
    return result.changed;
  }

  /** Throws the index away and starts it again, empty: the cure for a damaged file. */
  async rebuild(): Promise<void> {
    const { count, malformed } = await this.thread.call<{ count: number; malformed: number }>('rebuild');
    this.notes = count;
    this.malformed = malformed;
  }

  /**
   * The notes whose frontmatter does not parse, as the index last read them, the newest first, at
   * most `limit`. Read by the writer: it answers in order, after every change asked for before.
   */
  malformedNotes(limit: number): Promise<MalformedNote[]> {
    return this.thread.call('malformedNotes', limit);
  }

  async stamps(): Promise<Map<string, FileStamp>> {
    const columns = await this.thread.call<StampColumns>('stamps');
    const stamps = new Map<string, FileStamp>();
    columns.paths.forEach((path, i) => stamps.set(path, { size: columns.size[i] ?? 0, mtimeMs: columns.mtimeMs[i] ?? 0, ino: columns.ino[i] ?? 0 }));
    return stamps;
  }

  /**
   * Begins comparing the notes on disk with the index, in the writer thread (stamp-check.ts): the
   * index's stamps, read a page a call so that writes wait for one page at most, are compared with
   * each slice `changedStamps` is given, and `endStampCheck` tells the notes no slice held. One
   * comparison at a time (the reconcile's).
   */
  async beginStampCheck(): Promise<void> {
    await this.thread.call('beginStampCheck');
    while (await this.thread.call<boolean>('loadStamps'));
  }

  /** The positions in `walked` of notes that are new or changed since indexed. */
  changedStamps(walked: StampColumns): Promise<number[]> {
    return this.thread.call('changedStamps', walked);
  }

  /** Ends the comparison: the indexed notes that no slice held. */
  endStampCheck(): Promise<string[]> {
    return this.thread.call('endStampCheck');
  }

  stamp(path: string): Promise<FileStamp | undefined> {
    return this.thread.call('stamp', path);
  }

  /** Indexed paths inside the folder `dir` (relative, no trailing slash). */
  pathsUnder(dir: string): Promise<string[]> {
    return this.thread.call('pathsUnder', dir);
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}

/** A read a reader thread answers: a search or a page of the listing. */
type ReaderCall = { method: 'search'; args: [SearchQuery] } | { method: 'list'; args: [NoteListQuery] };

/** Reader threads, started with the brain (`warm`) or as reads need them, each answering one read at a time. */
export class SearchPool {
  private readonly readers: IndexThread[] = [];
  private readonly waiting: Array<{ call: ReaderCall; resolve(answer: unknown): void; reject(error: Error): void }> = [];
  /** Readers answering a read now. Any other takes the next read, one still starting too: the read waits for its start. */
  private readonly busy = new Set<IndexThread>();
  /** Told when a reader finds the index file damaged (the brain sets it: it rebuilds the index). */
  onDamage: (reason: string) => void = () => undefined;

  constructor(
    private readonly file: string,
    private readonly size = SEARCH_THREADS,
    private readonly maxWaiting = MAX_WAITING_SEARCHES,
    private readonly timeLimitMs = SEARCH_TIME_LIMIT_MS,
  ) {}

  search(query: SearchQuery): Promise<SearchHit[]> {
    return this.read({ method: 'search', args: [query] }) as Promise<SearchHit[]>;
  }

  /** A page of the listing, from the index like a search, sharing the readers and their queue. */
  list(query: NoteListQuery): Promise<NoteListing> {
    return this.read({ method: 'list', args: [query] }) as Promise<NoteListing>;
  }

  private read(call: ReaderCall): Promise<unknown> {
    const reader = this.freeReader();
    if (reader) return this.run(reader, call);
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new BrainError(`too many searches at once (${this.maxWaiting} waiting); retry shortly`, 503));
    }
    return new Promise((resolve, reject) => this.waiting.push({ call, resolve, reject }));
  }

  /**
   * Starts the reader threads now, so the first searches do not wait for a thread to start and open
   * its connection (tens of milliseconds from the build; far more on a loaded machine).
   */
  warm(): void {
    while (this.readers.length < this.size) {
      const reader = this.newReader();
      this.readers.push(reader);
      // A reader that cannot open is started again by its next search.
      void reader.ready().catch(() => undefined).finally(() => this.next(reader));
    }
  }

  /**
   * Replaces every reader by a new one, on the index file as it is now: after a rebuild made the file
   * anew, the old readers' connections still read the damaged one. A read they are answering ends there.
   */
  restart(): void {
    for (const reader of this.readers.splice(0)) void reader.close(CLOSE_WAIT_MS);
    this.warm();
  }

  /** Refuses the waiting reads and ends the readers, waiting at most CLOSE_WAIT_MS for one busy with a read. */
  async close(): Promise<void> {
    for (const waiting of this.waiting.splice(0)) waiting.reject(new BrainError('the brain is closing', 503));
    await Promise.all(this.readers.splice(0).map((reader) => reader.close(CLOSE_WAIT_MS)));
  }

  private newReader(): IndexThread {
    return new IndexThread('reader', this.file, (reason) => this.onDamage(reason));
  }

  private freeReader(): IndexThread | undefined {
    const free = this.readers.find((reader) => !this.busy.has(reader));
    if (free || this.readers.length >= this.size) return free;
    const started = this.newReader();
    this.readers.push(started);
    return started;
  }

  private async run(reader: IndexThread, call: ReaderCall): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    this.busy.add(reader);
    // Counted from the request, a reader's start included: a thread that cannot even open its
    // connection (the file locked by another process) is as stuck as one in a runaway search.
    const overtime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.stopForTime(reader)), this.timeLimitMs);
    });
    try {
      return await Promise.race([reader.call(call.method, ...call.args), overtime]);
    } finally {
      clearTimeout(timer);
      this.busy.delete(reader);
      // A reader stopped for time has left the pool: a fresh one takes the longest-waiting read.
      this.next(this.readers.includes(reader) ? reader : this.freeReader());
    }
  }

  /** Ends a reader that took too long, dropping it from the pool at once; answers the caller's error. */
  private stopForTime(reader: IndexThread): BrainError {
    const seconds = this.timeLimitMs / 1000;
    const error = new BrainError(`the search took longer than ${seconds} s and was stopped; retry, and report it if it happens again`, 503);
    const at = this.readers.indexOf(reader);
    if (at >= 0) this.readers.splice(at, 1);
    reader.abandon(error);
    this.warm(); // its successor starts now, so the next read does not wait for a thread to start
    return error;
  }

  /** Gives a reader that just became free the longest-waiting search. */
  private next(reader: IndexThread | undefined): void {
    // Replaced (restart, time limit): its successor takes the waiting reads.
    if (!reader || !this.readers.includes(reader) || this.busy.has(reader)) return;
    const waiting = this.waiting.shift();
    if (waiting) this.run(reader, waiting.call).then(waiting.resolve, waiting.reject);
  }
}
