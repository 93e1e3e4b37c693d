/**
 * The brain: markdown notes under `BRAIN_DIR/knowledge`, the source of truth, and the search index
 * derived from them. Every change — a write through the API, an edit on disk — ends with the
 * index agreeing with the file.
 */
import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { Logger } from 'pino';
import { KeyedLock, writeFileAtomic } from './atomic-file.js';
import { badRequest, BrainError, noteExists, noteNotFound, notReady } from './errors.js';
import { noteTags, noteTitle, parseNote, scalarField, withFields, type Frontmatter, type ParsedNote } from './frontmatter.js';
import { nameFromDate, nameFromTitle, normaliseNoteName, placeNote } from './note-names.js';
import { SearchIndex, type FileStamp, type SearchHit, type SearchQuery } from './search-index.js';
import { FolderWatcher, type ChangeBatch } from './watcher.js';

export type WriteMode = 'create' | 'overwrite' | 'append';

export interface WriteRequest {
  content: string;
  filename?: string | undefined;
  mode: WriteMode;
  /** Frontmatter to set: title, type, domain, tags and any other keys, as given. */
  fields: Frontmatter;
}

export interface WriteResult {
  path: string;
  action: 'created' | 'overwritten' | 'appended';
}

export interface Note {
  path: string;
  title: string;
  type: string | null;
  domain: string | null;
  tags: string[];
  frontmatter: Frontmatter;
  body: string;
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
const RECONCILE_BATCH = 500;

export class Brain {
  readonly knowledgeDir: string;
  private readonly locks = new KeyedLock();
  private watcher: FolderWatcher | null = null;
  private loading: { read: number; total: number } | null = { read: 0, total: 0 };
  // Reconciling and applying changes from disk run one after another, never interleaved: each
  // reads files and then updates the index, and an older read must never land after a newer one.
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly index: SearchIndex,
    private readonly logger: Logger,
  ) {
    this.knowledgeDir = join(dir, 'knowledge');
  }

  /** Opens the brain at `dir`, creating its folders. The index is usable once `reconcile` ran. */
  static async open(dir: string, logger: Logger): Promise<Brain> {
    await mkdir(join(dir, 'knowledge'), { recursive: true });
    const indexDir = join(dir, '.index');
    await mkdir(indexDir, { recursive: true });
    // The index is derived and rebuilt at will: keep it out of a brain that lives in git.
    await writeFile(join(indexDir, '.gitignore'), '*\n');
    const { index, rebuilt, reason } = SearchIndex.open(join(indexDir, 'brain.sqlite'));
    if (reason) logger.warn({ reason }, 'search index rebuilt from the notes');
    else if (rebuilt) logger.info('search index created');
    return new Brain(dir, index, logger);
  }

  get ready(): boolean {
    return this.loading === null;
  }

  noteCount(): number {
    return this.index.count();
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
    const known = this.index.stamps();
    const changed: string[] = [];
    let unchanged = 0;
    for await (const [path, stamp] of this.walk('', (folder) => this.watcher?.watchFolder(folder))) {
      const previous = known.get(path);
      known.delete(path);
      if (previous && sameStamp(previous, stamp)) unchanged++;
      else changed.push(path);
    }
    this.loading = { read: 0, total: changed.length };
    let indexed = 0;
    let failed = 0;
    for (let start = 0; start < changed.length; start += RECONCILE_BATCH) {
      const batch = await Promise.all(changed.slice(start, start + RECONCILE_BATCH).map((path) => this.readForIndex(path)));
      this.index.transaction(() => {
        for (const note of batch) if (note) this.index.upsertOne(note);
      });
      indexed += batch.filter(Boolean).length;
      failed += batch.filter((note) => !note).length;
      this.loading.read = Math.min(changed.length, start + RECONCILE_BATCH);
      await nextTick();
    }
    const gone = [...known.keys()];
    this.index.transaction(() => gone.forEach((path) => this.index.removeOne(path)));
    this.loading = null;
    return { indexed, removed: gone.length, unchanged, failed, ms: Math.round(performance.now() - started) };
  }

  /** Follows edits made on disk from now on; call before `reconcile`, which adds the subfolders. */
  watch(): void {
    if (this.watcher) return;
    this.watcher = new FolderWatcher(this.knowledgeDir, (batch) => void this.applyChanges(batch), this.logger);
    this.watcher.watchFolder('');
  }

  /** Resolves once every change seen so far is in the index. */
  async settled(): Promise<void> {
    await this.queue;
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = null;
    await this.queue;
    this.index.close();
  }

  search(query: SearchQuery): SearchHit[] {
    if (this.loading) throw notReady(this.loading.read, this.loading.total);
    return this.index.search(query);
  }

  async read(name: string): Promise<Note> {
    const path = normaliseNoteName(name);
    const absolute = await placeNote(this.knowledgeDir, path, { create: false });
    const text = await readFile(absolute, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') throw noteNotFound(path);
      throw error;
    });
    const parsed = parseNote(text);
    return { path, ...describe(parsed, path), frontmatter: parsed.data, body: parsed.body, text };
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    const incoming = parseNote(request.content);
    if (incoming.problem) throw badRequest(`content: ${incoming.problem}`);
    const fields = normaliseFields(request.fields);
    const path = request.filename !== undefined ? normaliseNoteName(request.filename) : generatedName(incoming, fields);
    return this.locks.run(path, async () => {
      const absolute = await placeNote(this.knowledgeDir, path, { create: true });
      const existing = await readFile(absolute, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (request.mode === 'create' && existing !== null) throw noteExists(path);
      let text: string;
      let action: WriteResult['action'];
      if (request.mode === 'append' && existing !== null) {
        text = appendTo(existing, incoming, fields, path);
        action = 'appended';
      } else {
        text = Object.keys(fields).length > 0 ? withFields(incoming, fields) : request.content;
        action = existing === null ? 'created' : 'overwritten';
      }
      // The exclusive write still guards create: another process may take the name meanwhile.
      const outcome = await writeFileAtomic(absolute, text, { exclusive: request.mode === 'create' });
      if (outcome === 'exists') throw noteExists(path);
      await this.indexFile(path, absolute, text);
      return { path, action };
    });
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
      const inside = this.index.pathsUnder(path);
      this.index.transaction(() => [path, ...inside].forEach((gone) => this.index.removeOne(gone)));
      return;
    }
    if (!stat.isFile() || !path.endsWith('.md')) return;
    await this.locks.run(path, async () => {
      const known = this.index.stamp(path);
      if (known && sameStamp(known, toStamp(stat))) return; // our own write, or a touch
      const note = await this.readForIndex(path);
      if (note) this.index.upsert(note);
    });
  }

  /** Watches `folder` and its subfolders and re-reads what changed in them. */
  private async refreshFolder(folder: string): Promise<void> {
    const present = new Set<string>();
    for await (const [path] of this.walk(folder, (sub) => this.watcher?.watchFolder(sub))) {
      present.add(path);
      await this.refreshPath(path);
    }
    const inFolder = folder === '' ? [...this.index.stamps().keys()] : this.index.pathsUnder(folder);
    const gone = inFolder.filter((path) => !present.has(path));
    this.index.transaction(() => gone.forEach((path) => this.index.removeOne(path)));
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
    const notes: Array<[string, FileStamp]> = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
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

  private async readForIndex(path: string) {
    const absolute = join(this.knowledgeDir, path);
    try {
      const stat = await lstat(absolute);
      return this.toIndexed(path, await readFile(absolute, 'utf8'), toStamp(stat));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn({ path, err: error }, 'cannot read note; left out of the index');
      }
      return null;
    }
  }

  private async indexFile(path: string, absolute: string, text: string): Promise<void> {
    this.index.upsert(this.toIndexed(path, text, toStamp(await lstat(absolute))));
  }

  private toIndexed(path: string, text: string, stamp: FileStamp) {
    const parsed = parseNote(text);
    if (parsed.problem) this.logger.warn({ path, problem: parsed.problem }, 'note indexed by its body only');
    return { path, ...stamp, ...describe(parsed, path), body: parsed.body.slice(0, MAX_INDEXED_CHARS) };
  }
}

function describe(parsed: ParsedNote, path: string) {
  return {
    title: noteTitle(parsed.data, parsed.body, path),
    type: scalarField(parsed.data.type),
    domain: scalarField(parsed.data.domain),
    tags: noteTags(parsed.data.tags),
  };
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
  return `${base.trimEnd()}\n\n${incoming.body.replace(/^\s*\n/, '').trimEnd()}\n`;
}

function toStamp(stat: { size: number; mtimeMs: number; ino: number }): FileStamp {
  return { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}
