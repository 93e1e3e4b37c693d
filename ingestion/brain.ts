/**
 * The brain: markdown notes under `BRAIN_DIR/knowledge`, the source of truth, and the search index
 * derived from them. Every change — a write through the API, an edit on disk — ends with the
 * index agreeing with the file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { constants, lstatSync, readdirSync, statSync, unlinkSync, type Dirent } from 'node:fs';
import { lstat, mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { Logger } from 'pino';
import { appendToFile, isStaleTempFile, KeyedLock, writeFileAtomic } from './atomic-file.js';
import { badRequest, BrainError, changedSinceRead, noteExists, noteNotFound, noteTooLarge, notReady } from './errors.js';
import { noteTags, noteTitle, parseNote, scalarField, withFields, type Frontmatter, type ParsedNote } from './frontmatter.js';
import { nameFromDate, nameFromTitle, normaliseNoteName, placeNote } from './note-names.js';
import {
  describeIssue,
  MAX_FIELDS,
  NoteListRequest,
  QueryBody,
  WriteBody,
  type NoteListing,
  type NoteResponse,
  type QueryRequest,
  type SearchHit,
  type WriteMode,
  type WriteRequest,
  type WriteResult,
} from '../common/brain-contract.js';
import { IndexWriter, SearchPool } from './index-thread.js';
import type { FileStamp, IndexChange, IndexedNote } from './search-index.js';
import { FolderWatcher, type ChangeBatch } from './watcher.js';

/** A note as GET /notes answers it, plus its whole file as written (sent for Accept: text/markdown). */
export interface Note extends NoteResponse {
  text: string;
}

export interface ReconcileReport {
  indexed: number;
  removed: number;
  unchanged: number;
  failed: number;
  ms: number;
}

// Text beyond this is not indexed (the note is kept whole on disk): a giant file would make every
// query that matches it slow, and nobody searches past the first megabyte of a note.
const MAX_INDEXED_CHARS = 1 << 20;
/** What is read of a file to index it: the indexed body plus room for its frontmatter (and UTF-8). */
const MAX_READ_FOR_INDEX_BYTES = 4 * MAX_INDEXED_CHARS + 64 * 1024;
// Notes are read and parsed a slice at a time, so this thread is never held long, and sent to the
// index thread in batches of one transaction each: a large transaction costs FTS5 fewer segments to
// merge (2,000 notes a commit built 100k notes 18 % faster than 200), and a write waits behind one
// batch at most (~0.4 s). Both bounded in bytes too, so memory stays bounded whatever the notes' sizes.
const READ_SLICE = 200;
const READ_SLICE_BYTES = 16 * 1024 * 1024;
const WRITE_BATCH = 2000;
const WRITE_BATCH_BYTES = 16 * 1024 * 1024;
const WALK_SLICE = 1000;
/** The most a write may carry, as POST /write's body limit: the same refusal whichever way it comes. */
export const MAX_CONTENT_BYTES = 1024 * 1024;
/**
 * The largest note read whole: by GET /notes, an append, a conditional write. Appends (or an editor)
 * can grow a note past any write's size; reading, decoding and sending a note of hundreds of MiB
 * would hold the service for seconds and its memory with it. Four writes' worth.
 */
export const MAX_NOTE_READ_BYTES = 4 * MAX_CONTENT_BYTES;
// The watches see edits within milliseconds; this cheap scan (a stat per note, files read only when
// their stamp changed) is the safety net for what they can miss: a watch limit reached, events
// lost under load, a folder swapped between two looks.
const RESCAN_MS = 60_000;
// An append that must also change frontmatter rewrites the note; when another process keeps
// changing the file meanwhile, it is read again this many times before the caller is told.
const REWRITE_ATTEMPTS = 3;
/** Bytes hashed between two turns of the event loop: about a millisecond of SHA-256. */
const HASH_SLICE_BYTES = 1024 * 1024;

export class Brain {
  readonly knowledgeDir: string;
  private readonly locks = new KeyedLock();
  private watcher: FolderWatcher | null = null;
  private rescan: NodeJS.Timeout | null = null;
  private loading: { read: number; total: number } | null = { read: 0, total: 0 };
  // Temp files left by a crash are removed during the first walk only: later, a temp file may be
  // another write of ours in progress (those are known) or of another process (not known).
  private sweepStaleTemps = true;
  // Reconciling and applying changes from disk run one after another, never interleaved: each
  // reads files and then updates the index, and an older read must never land after a newer one.
  private queue: Promise<unknown> = Promise.resolve();
  private readonly changeListeners = new Set<() => void>();
  // The generation: this run's id and the index changes it made; a restart makes a new id.
  private readonly runId = randomUUID().slice(0, 8);
  private changes = 0;

  private constructor(
    readonly dir: string,
    private readonly index: IndexWriter,
    private readonly searches: SearchPool,
    private readonly logger: Logger,
  ) {
    this.knowledgeDir = join(dir, 'knowledge');
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
    const { writer, rebuilt, reason } = await IndexWriter.open(file);
    if (reason) logger.warn({ reason }, 'search index rebuilt from the notes');
    else if (rebuilt) logger.info('search index created');
    const pool = new SearchPool(file, searches.threads, searches.maxWaiting);
    pool.warm();
    return new Brain(dir, writer, pool, logger);
  }

  get ready(): boolean {
    return this.loading === null;
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

  /** Applies changes to the index and tells the listeners when notes really changed. */
  private async applyToIndex(changes: IndexChange[]): Promise<void> {
    const changed = await this.index.apply(changes);
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
   * Brings the index in line with the files: reads only files whose size, mtime or inode changed
   * since they were indexed, and forgets notes whose file is gone. Yields between batches so the
   * service keeps answering (health, writes) while a large brain loads. Folders found on the way
   * are watched when `watch` was called first.
   */
  reconcile(): Promise<ReconcileReport> {
    return this.serially(() => this.reconcileNow());
  }

  private async reconcileNow(): Promise<ReconcileReport> {
    const started = performance.now();
    const known = await this.index.stamps();
    const changed: Array<[string, FileStamp]> = [];
    let unchanged = 0;
    for await (const [path, stamp] of this.walk('', (folder) => this.watcher?.watchFolder(folder))) {
      const previous = known.get(path);
      known.delete(path);
      if (previous && sameStamp(previous, stamp)) unchanged++;
      else changed.push([path, stamp]);
    }
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
        writing = this.applyToIndex(pending);
        writing.catch(() => undefined); // awaited before the next batch; meanwhile not an unhandled rejection
        pending = [];
        pendingBytes = 0;
      }
      if (progress) progress.read += slice.length;
      await nextTick();
    }
    await writing;
    await this.applyToIndex([...pending, ...[...known.keys()].map((path) => ({ remove: path }))]);
    this.loading = null;
    return { indexed, removed: known.size, unchanged, failed, ms: Math.round(performance.now() - started) };
  }

  /** Follows edits made on disk from now on; call before `reconcile`, which adds the subfolders. */
  watch(): void {
    if (this.watcher) return;
    this.watcher = new FolderWatcher(this.knowledgeDir, (batch) => void this.applyChanges(batch), this.logger);
    this.watcher.watchRootEntry();
    this.watcher.watchFolder('');
    this.rescan = setInterval(() => void this.scanForMissedChanges(), RESCAN_MS);
    this.rescan.unref();
  }

  private async scanForMissedChanges(): Promise<void> {
    try {
      const report = await this.reconcile();
      if (report.indexed + report.removed > 0) this.logger.info(report, 'periodic scan found changes the folder watches missed');
    } catch (error) {
      this.logger.error({ err: error }, 'periodic scan of the brain failed');
    }
  }

  /** Resolves once every change seen so far is in the index. */
  async settled(): Promise<void> {
    await this.queue;
  }

  async close(): Promise<void> {
    if (this.rescan) clearInterval(this.rescan);
    this.rescan = null;
    this.watcher?.close();
    this.watcher = null;
    await this.queue;
    await Promise.all([this.searches.close(), this.index.close()]);
  }

  /**
   * Checked with POST /query's own rules, whoever asks; tags are matched without a leading #.
   * Answered by a reader thread: a search never holds this thread, nor waits for a write.
   */
  async search(query: QueryRequest): Promise<SearchHit[]> {
    const checked = QueryBody.safeParse(query);
    if (!checked.success) throw badRequest(describeIssue(checked.error));
    if (this.loading) throw notReady(this.loading.read, this.loading.total);
    const { tags } = checked.data;
    return this.searches.search({ ...checked.data, tags: tags === undefined ? undefined : noteTags(tags) });
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
    return { path, ...describe(parsed, path), frontmatter: parsed.data, body: parsed.body, sha256, text };
  }

  /**
   * A page of the notes by path (GET /notes), from the index: what the last change applied left
   * there. Checked with GET /notes's own rules, whoever asks; answered by a reader thread.
   */
  async list(request: NoteListRequest): Promise<NoteListing> {
    const checked = NoteListRequest.safeParse(request);
    if (!checked.success) throw badRequest(describeIssue(checked.error));
    if (this.loading) throw notReady(this.loading.read, this.loading.total);
    return this.searches.list(checked.data);
  }

  /**
   * Writes a note. Every rule is checked here, with POST /write's own schema, so that POST /write
   * and brain_write in the embedded mode refuse the same inputs for the same reasons.
   */
  async write(request: WriteRequest): Promise<WriteResult> {
    const checked = WriteBody.safeParse(request);
    if (!checked.success) throw badRequest(describeIssue(checked.error));
    const { content, filename, mode, expected_sha256: expectedSha256, ...given } = checked.data;
    if (expectedSha256 !== undefined && mode === 'create') {
      throw badRequest('expected_sha256 applies to mode overwrite or append: a create never replaces a note, so there is nothing to compare');
    }
    checkContentSize(content);
    const incoming = parseNote(content);
    if (incoming.problem) throw badRequest(`content: ${incoming.problem}`);
    const fields = normaliseFields(given);
    // An append sets the content's own frontmatter keys on the note too: the same bound as for fields.
    if (mode === 'append' && new Set([...Object.keys(incoming.data), ...Object.keys(fields)]).size > MAX_FIELDS) {
      throw badRequest(`an append may set at most ${MAX_FIELDS} frontmatter fields (the content's frontmatter and the fields given)`);
    }
    const path = filename !== undefined ? normaliseNoteName(filename) : generatedName(incoming, fields);
    try {
      return await this.locks.run(path, () => this.writeLocked(path, mode, incoming, fields, content, expectedSha256?.toLowerCase()));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENAMETOOLONG') {
        throw badRequest(`filename: "${path.slice(0, 40)}…" is longer than this server's filesystem allows`);
      }
      throw error;
    }
  }

  /**
   * With `expectedSha256` (overwrite, append) the note changes only if its file still has that hash:
   * checked here, under the note's lock, against the bytes read, and the file's stamp checked again
   * right before the rename, so another process replacing the file meanwhile is caught too.
   */
  private async writeLocked(
    path: string,
    mode: WriteMode,
    incoming: ParsedNote,
    fields: Frontmatter,
    content: string,
    expectedSha256: string | undefined,
  ): Promise<WriteResult> {
    // knowledge/ may have been deleted under us (rm -r, a checkout): make it again, as at start.
    await mkdir(this.knowledgeDir, { recursive: true });
    const absolute = await placeNote(this.knowledgeDir, path, { create: true });
    for (let attempt = 1; ; attempt++) {
      const before = await lstat(absolute).catch(ifMissing(null));
      if (mode === 'create' && before) throw noteExists(path);
      // Only an append and a conditional write need what the note holds: a plain overwrite replaces
      // it unread, however large it has grown.
      const needed = before !== null && (mode === 'append' || expectedSha256 !== undefined);
      const bytes = needed ? await readWhole(absolute, path).catch(ifMissing(null)) : null;
      const existing = bytes?.toString('utf8') ?? null;
      const existed = needed ? bytes !== null : before !== null;
      if (expectedSha256 !== undefined) {
        const current = bytes === null ? null : await hashBytes(bytes);
        if (current !== expectedSha256) throw changedSinceRead(path, expectedSha256, current);
      }
      // O_APPEND adds to whatever the file holds by then: not for a conditional write, which must
      // change exactly the version it checked (it goes through the checked rewrite below).
      if (mode === 'append' && existing !== null && expectedSha256 === undefined) {
        const merged = { ...incoming.data, ...fields };
        if (Object.keys(merged).length === 0 && (await appendToFile(absolute, addition(existing, incoming.body)))) {
          return { path, action: 'appended', sha256: await this.indexFromDisk(path, absolute) };
        }
      }
      let text: string;
      let action: WriteResult['action'];
      if (mode === 'append' && existing !== null) {
        text = appendTo(existing, incoming, fields, path);
        action = 'appended';
      } else {
        text = Object.keys(fields).length > 0 ? withFields(incoming, fields) : content;
        action = existed ? 'overwritten' : 'created';
      }
      // The fields given may make the frontmatter too large: refuse what could not be read back.
      const written = Object.keys(fields).length > 0 ? parseNote(text) : null;
      if (written?.problem) throw badRequest(`fields: ${written.problem}`);
      // An append that changes frontmatter rewrites the whole note, and a conditional write must
      // replace the version it checked: both check that nobody changed the file since it was read
      // (another process; writes of ours wait on the lock).
      const checkStamp = (mode === 'append' || expectedSha256 !== undefined) && before;
      const unchanged = checkStamp ? async () => stillSame(before, await lstat(absolute).catch(ifMissing(null))) : undefined;
      // The exclusive write still guards create: another process may take the name meanwhile.
      const outcome = await writeFileAtomic(absolute, text, { exclusive: mode === 'create', unchanged });
      if (outcome === 'exists') throw noteExists(path);
      if (outcome === 'changed') {
        // Read again: a conditional write then finds the new hash and answers 409 with it.
        if (attempt < REWRITE_ATTEMPTS) continue;
        throw new BrainError(`${path} keeps being changed by another writer; retry the ${mode}`, 409, { path });
      }
      return { path, action, sha256: await this.indexFile(path, absolute, text) };
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
    }).catch((error: unknown) => this.logger.error({ err: error }, 'failed to apply changes from disk'));
  }

  /** Re-reads whatever is at `path` now: a note, a new folder, or nothing any more. */
  private async refreshPath(path: string): Promise<void> {
    const absolute = join(this.knowledgeDir, path);
    const stat = await lstat(absolute).catch(() => null);
    if (stat?.isDirectory()) return this.refreshFolder(path);
    if (!stat) {
      this.watcher?.unwatchFolder(path);
      const inside = await this.index.pathsUnder(path);
      await this.applyToIndex([path, ...inside].map((gone) => ({ remove: gone })));
      return;
    }
    if (!stat.isFile() || !path.endsWith('.md')) return;
    await this.locks.run(path, async () => {
      const known = await this.index.stamp(path);
      if (known && sameStamp(known, toStamp(stat))) return; // our own write, or a touch
      const note = await this.readForIndex(path);
      if (note) await this.applyToIndex([{ note }]);
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
    const inFolder = folder === '' ? [...(await this.index.stamps()).keys()] : await this.index.pathsUnder(folder);
    const gone: IndexChange[] = inFolder.filter((path) => !present.has(path)).map((path) => ({ remove: path }));
    await this.applyToIndex(gone);
  }

  /**
   * Every note file below `folder`, with its stamp. Hidden entries (dot files, .git, our temp
   * files) and symbolic links are passed over: a link could lead out of the brain. Each folder is
   * listed and stat'ed synchronously (a hundred thousand awaited stats take ten times longer) and
   * the event loop gets a turn between folders.
   */
  private async *walk(folder: string, onFolder?: (folder: string) => void): AsyncGenerator<[string, FileStamp]> {
    onFolder?.(folder);
    const absolute = join(this.knowledgeDir, folder);
    let entries: Dirent[];
    try {
      entries = readdirSync(absolute, { withFileTypes: true });
    } catch {
      return; // removed while we looked, or unreadable: nothing to index there
    }
    const folders: string[] = [];
    let notes: Array<[string, FileStamp]> = [];
    for (const entry of entries) {
      // A folder of many thousand notes is stat'ed in slices, so the periodic scan never holds the event loop long.
      if (notes.length === WALK_SLICE) {
        yield* notes;
        notes = [];
        await nextTick();
      }
      if (entry.name.startsWith('.')) {
        if (this.sweepStaleTemps && entry.isFile() && isStaleTempFile(absolute, entry.name)) this.removeStaleTemp(join(folder, entry.name));
        continue;
      }
      const path = folder ? `${folder}/${entry.name}` : entry.name;
      if (entry.isDirectory()) folders.push(path);
      else if (entry.isFile() && entry.name.endsWith('.md')) {
        const stat = lstatSync(join(absolute, entry.name), { throwIfNoEntry: false });
        if (stat?.isFile()) notes.push([path, toStamp(stat)]);
      }
    }
    yield* notes;
    await nextTick();
    for (const sub of folders) yield* this.walk(sub, onFolder);
  }

  /** A temp file left by a write that never finished (the process was killed): nobody will finish it. */
  private removeStaleTemp(path: string): void {
    try {
      unlinkSync(join(this.knowledgeDir, path));
      this.logger.info({ path }, 'removed a temp file left by an interrupted write');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ path, err: error }, 'cannot remove a stale temp file');
    }
  }

  private async readForIndex(path: string): Promise<IndexedNote | null> {
    const absolute = join(this.knowledgeDir, path);
    try {
      const stat = await lstat(absolute);
      const { text, sha256 } = await readForIndexing(absolute);
      return this.toIndexed(path, text, sha256, toStamp(stat));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn({ path, err: error }, 'cannot read note; left out of the index');
      }
      return null;
    }
  }

  /**
   * Indexes the file as it is now (others may have added to it): stamp first, so never newer than
   * the text. Answers the file's sha256 as read.
   */
  private async indexFromDisk(path: string, absolute: string): Promise<string> {
    const stamp = toStamp(await lstat(absolute));
    const { text, sha256 } = await readForIndexing(absolute);
    await this.applyToIndex([{ note: this.toIndexed(path, text, sha256, stamp) }]);
    return sha256;
  }

  /** Indexes the text just written to `absolute`; answers its sha256. */
  private async indexFile(path: string, absolute: string, text: string): Promise<string> {
    const sha256 = await hashBytes(Buffer.from(text, 'utf8'));
    await this.applyToIndex([{ note: this.toIndexed(path, text, sha256, toStamp(await lstat(absolute))) }]);
    return sha256;
  }

  private toIndexed(path: string, text: string, sha256: string, stamp: FileStamp): IndexedNote {
    const parsed = parseNote(text);
    if (parsed.problem) this.logger.warn({ path, problem: parsed.problem }, 'note indexed by its body only');
    return { path, ...stamp, ...describe(parsed, path), body: parsed.body.slice(0, MAX_INDEXED_CHARS), sha256 };
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

function describe(parsed: ParsedNote, path: string) {
  return {
    title: noteTitle(parsed.data, parsed.body, path),
    type: scalarField(parsed.data.type),
    domain: scalarField(parsed.data.domain),
    tags: noteTags(parsed.data.tags),
  };
}

function checkContentSize(content: string): void {
  if (Buffer.byteLength(content) > MAX_CONTENT_BYTES) throw badRequest(`content is larger than ${MAX_CONTENT_BYTES / 1024 / 1024} MiB; at most ${MAX_CONTENT_BYTES / 1024 / 1024} MiB`);
}

function normaliseFields(fields: Frontmatter): Frontmatter {
  const out: Frontmatter = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[key] = key === 'tags' ? noteTags(value) : value;
  }
  return out;
}

/** A name from the title (given, in the content's frontmatter, or its heading), else from the date. */
function generatedName(incoming: ParsedNote, fields: Frontmatter): string {
  const title = scalarField(fields.title) ?? scalarField(incoming.data.title) ?? /^#[ \t]+(.+)$/m.exec(incoming.body)?.[1];
  return (title && nameFromTitle(title)) || nameFromDate();
}

/** The existing note with the new body after it; frontmatter keys given replace those of the note. */
function appendTo(existingText: string, incoming: ParsedNote, fields: Frontmatter, path: string): string {
  const existing = parseNote(existingText);
  const merged = { ...incoming.data, ...fields };
  if (existing.problem && Object.keys(merged).length > 0) {
    throw new BrainError(`cannot set frontmatter on ${path}: its ${existing.problem}; fix it or overwrite the note`, 409, { path });
  }
  const base = Object.keys(merged).length > 0 ? withFields(existing, merged) : existingText;
  return `${base}${addition(base, incoming.body)}`;
}

/**
 * What an append adds at the end of `existing`: the body after one blank line, in the note's own
 * line ends. Computed from the text read before; if another writer added to the file since, only
 * the spacing between the two additions can be off, never a byte lost.
 */
function addition(existing: string, body: string): string {
  const eol = /\r\n/.test(existing.slice(0, 4096)) ? '\r\n' : '\n';
  const text = body.replace(/^\s*\n/, '').trimEnd().replace(/\r?\n/g, eol);
  const separator = existing === '' || existing.endsWith(eol + eol) ? '' : existing.endsWith(eol) ? eol : eol + eol;
  return `${separator}${text}${eol}`;
}

function ifMissing<T>(fallback: T) {
  return (error: NodeJS.ErrnoException): T => {
    if (error.code === 'ENOENT') return fallback;
    throw error;
  };
}

/** The file is still the version read (false when it is gone). */
function stillSame(before: FileStamp, now: FileStamp | null): boolean {
  return now !== null && sameStamp(before, toStamp(now));
}

/**
 * The start of a note file, as much as the index uses, and the SHA-256 of the whole file: a giant
 * file dropped into the brain must not be read whole into memory and parsed on the event loop, so
 * the rest of it is read and hashed a slice at a time. Opened without blocking and checked on the
 * handle, so a FIFO swapped in after the walk looked cannot hang the read.
 */
async function readForIndexing(absolute: string): Promise<{ text: string; sha256: string }> {
  const handle = await open(absolute, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_READ_FOR_INDEX_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const start = buffer.subarray(0, bytesRead);
    const hash = createHash('sha256');
    await hashInSlices(hash, start);
    if (bytesRead === buffer.length && stat.size > MAX_READ_FOR_INDEX_BYTES) {
      const slice = Buffer.alloc(HASH_SLICE_BYTES);
      for (let position = bytesRead; ; ) {
        const { bytesRead: got } = await handle.read(slice, 0, slice.length, position);
        if (got === 0) break;
        hash.update(slice.subarray(0, got));
        position += got;
      }
    }
    return { text: start.toString('utf8'), sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** A note's bytes, refused (noteTooLarge) past MAX_NOTE_READ_BYTES: sized on the open file, so a note growing meanwhile is read only up to what was sized. */
async function readWhole(absolute: string, path: string): Promise<Buffer> {
  const handle = await open(absolute, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_NOTE_READ_BYTES) throw noteTooLarge(path, size, MAX_NOTE_READ_BYTES);
    const bytes = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(bytes, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return bytes.subarray(0, read);
  } finally {
    await handle.close();
  }
}

/** Lowercase hex SHA-256 of `bytes`, a slice at a time so a large file never holds the event loop. */
async function hashBytes(bytes: Buffer): Promise<string> {
  const hash = createHash('sha256');
  await hashInSlices(hash, bytes);
  return hash.digest('hex');
}

async function hashInSlices(hash: ReturnType<typeof createHash>, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += HASH_SLICE_BYTES) {
    if (offset > 0) await nextTick();
    hash.update(bytes.subarray(offset, offset + HASH_SLICE_BYTES));
  }
}

function toStamp(stat: { size: number; mtimeMs: number; ino: number }): FileStamp {
  return { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}
