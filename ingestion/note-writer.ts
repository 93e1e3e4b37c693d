/**
 * Writing notes: create, overwrite or append, each whole or not at all. A note changes only under
 * its lock (writes of ours wait for each other); other processes may change the file at any time,
 * so what they add is checked for and kept (see `rewrite`).
 */
import { mkdir, lstat, open, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { appendToFile, writeFileAtomic } from './atomic-file.js';
import { badRequest, BrainError, changedSinceRead, diskFault, noteExists } from './errors.js';
import { noteTags, parseNote, scalarField, withFields, type Frontmatter, type ParsedNote } from './frontmatter.js';
import type { KeyedLock } from './keyed-lock.js';
import { hashBytes, MAX_CONTENT_BYTES, readWhole, sameStamp, toStamp } from './note-files.js';
import { nameFromDate, nameFromTitle, normaliseNoteName, placeNote } from './note-names.js';
import { describeIssue, MAX_FIELDS, tagLimitProblem, WriteBody, type WriteMode, type WriteRequest, type WriteResult } from '../common/brain-contract.js';
import type { FileStamp } from './search-index.js';

// An append that must also change frontmatter rewrites the note; when another process keeps
// changing the file meanwhile, it is read again this many times before the caller is told.
const REWRITE_ATTEMPTS = 3;
// A process that opened the note just before a rewrite's rename (`>>` opens, writes, closes) may
// write into the replaced file a moment after it was carried over: the replaced file is looked at
// again after these delays (from the rename), and what landed there carried over too.
const LATE_LOOKS_MS = [50, 250, 1_000];

export interface NoteWriterOptions {
  knowledgeDir: string;
  locks: KeyedLock;
  /**
   * Indexes the note at `path` as its file is now, and answers the file's sha256. Called once the
   * note is on disk: the write stands whether or not the index could take it.
   */
  index: (path: string, absolute: string) => Promise<string>;
  logger: Logger;
}

export class NoteWriter {
  // Replaced files still looked at for what another process writes there late, each with its last look.
  private readonly lateLooks = new Set<() => Promise<void>>();

  constructor(private readonly options: NoteWriterOptions) {}

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
    // Tags in the content's own frontmatter are one more spelling of the field: the same limits.
    const contentTags = incoming.data.tags === undefined ? null : tagLimitProblem(noteTags(incoming.data.tags));
    if (contentTags) throw badRequest(`content: its frontmatter's tags ${contentTags}`);
    const fields = normaliseFields(given);
    // An append sets the content's own frontmatter keys on the note too: the same bound as for fields.
    if (mode === 'append' && new Set([...Object.keys(incoming.data), ...Object.keys(fields)]).size > MAX_FIELDS) {
      throw badRequest(`an append may set at most ${MAX_FIELDS} frontmatter fields (the content's frontmatter and the fields given)`);
    }
    const path = filename !== undefined ? normaliseNoteName(filename) : generatedName(incoming, fields);
    const write: PlannedWrite = { path, mode, incoming, fields, content, expectedSha256: expectedSha256?.toLowerCase() };
    try {
      return await this.options.locks.run(path, () => this.writeLocked(write));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENAMETOOLONG') throw badRequest(`filename: "${path.slice(0, 40)}…" is longer than this server's filesystem allows`);
      throw diskFault(error, path) ?? error;
    }
  }

  /**
   * With `expectedSha256` (overwrite, append) the note changes only if its file still has that hash:
   * checked here, under the note's lock, against the bytes read, and the file's stamp checked again
   * right before the rename, so another process replacing the file meanwhile is caught too.
   */
  private async writeLocked(write: PlannedWrite): Promise<WriteResult> {
    const { knowledgeDir } = this.options;
    const { path, mode, incoming, fields, expectedSha256 } = write;
    // knowledge/ may have been deleted under us (rm -r, a checkout): make it again, as at start.
    await mkdir(knowledgeDir, { recursive: true });
    const absolute = await placeNote(knowledgeDir, path, { create: true });
    for (let attempt = 1; ; attempt++) {
      if (attempt > REWRITE_ATTEMPTS) throw new BrainError(`${path} keeps being changed by another writer; retry the ${mode}`, 409, { path });
      const before = await lstat(absolute).catch(ifMissing(null));
      if (mode === 'create' && before) throw noteExists(path);
      // Only an append and a conditional write need what the note holds: a plain overwrite replaces
      // it unread, however large it has grown.
      if (before === null || (mode !== 'append' && expectedSha256 === undefined)) {
        if (expectedSha256 !== undefined) throw changedSinceRead(path, expectedSha256, null);
        return this.replace(write, absolute, before === null ? 'created' : 'overwritten');
      }
      // O_APPEND adds to whatever the file holds by then: not for a conditional write, which must
      // change exactly the version it checked (it goes through the checked rewrite below).
      const merged = { ...incoming.data, ...fields };
      if (mode === 'append' && expectedSha256 === undefined && Object.keys(merged).length === 0) {
        const existing = await readWhole(absolute, path).catch(ifMissing(null));
        if (existing === null) continue; // removed since the look: created, next time round
        if (await appendToFile(absolute, addition(existing.toString('utf8'), incoming.body))) {
          return { path, action: 'appended', sha256: await this.options.index(path, absolute) };
        }
        continue;
      }
      const outcome = await this.rewrite(write, absolute, toStamp(before));
      if (outcome !== 'changed') return outcome;
      // Read again: a conditional write then finds the new hash and answers 409 with it.
    }
  }

  /** Creates the note, or replaces it unread (a plain overwrite). */
  private async replace(write: PlannedWrite, absolute: string, action: 'created' | 'overwritten'): Promise<WriteResult> {
    const { path, mode, incoming, fields, content } = write;
    const text = Object.keys(fields).length > 0 ? checkedFields(withFields(incoming, fields)) : content;
    // The exclusive write still guards create: another process may take the name meanwhile.
    const outcome = await writeFileAtomic(absolute, text, { exclusive: mode === 'create' });
    if (outcome === 'exists') throw noteExists(path);
    return { path, action, sha256: await this.options.index(path, absolute) };
  }

  /**
   * Replaces the note with a version computed from what it holds (an append that sets frontmatter,
   * a conditional write), only if nobody changed the file since it was read ('changed' otherwise).
   * The file stays open meanwhile: a line another process appends between the last check and the
   * rename lands in the old file, and is carried over to the end of the new one, never lost; so is
   * one written there up to a second later (LATE_LOOKS_MS) by a process that opened it before.
   */
  private async rewrite(write: PlannedWrite, absolute: string, before: FileStamp): Promise<WriteResult | 'changed'> {
    const { path, mode, incoming, fields, content, expectedSha256 } = write;
    const old = await open(absolute, 'r').catch(ifMissing(null));
    if (!old) return 'changed';
    // Once rewritten, the old file is looked at again a while (lookAgainLater), which closes it.
    let handedOn = false;
    try {
      const bytes = await readWhole(old, path);
      if (bytes.length !== before.size) return 'changed';
      if (expectedSha256 !== undefined) {
        const current = await hashBytes(bytes);
        if (current !== expectedSha256) throw changedSinceRead(path, expectedSha256, current);
      }
      const text =
        mode === 'append'
          ? appendTo(bytes.toString('utf8'), incoming, fields, path)
          : Object.keys(fields).length > 0
            ? checkedFields(withFields(incoming, fields))
            : content;
      // Checked as late as possible, right before the rename: the name still holds the file read, unchanged.
      const unchanged = async () => {
        const now = await lstat(absolute).catch(ifMissing(null));
        return now !== null && sameStamp(before, toStamp(now)) && sameStamp(before, toStamp(await old.stat()));
      };
      const outcome = await writeFileAtomic(absolute, text, { exclusive: false, unchanged });
      if (outcome === 'changed') return 'changed';
      const carried = await this.carryOver(old, bytes.length, absolute, path);
      this.lookAgainLater(old, carried, absolute, path);
      handedOn = true;
      return { path, action: mode === 'append' ? 'appended' : 'overwritten', sha256: await this.options.index(path, absolute) };
    } finally {
      if (!handedOn) await old.close();
    }
  }

  /**
   * Bytes another process appended to the old file past `from` (what was read or carried before)
   * end up after the new version; answers how far the old file is carried over now.
   */
  private async carryOver(old: FileHandle, from: number, absolute: string, path: string): Promise<number> {
    const { size } = await old.stat();
    if (size <= from) return from;
    const late = Buffer.alloc(size - from);
    const { bytesRead } = await old.read(late, 0, late.length, from);
    if (bytesRead === 0) return from;
    const bytes = late.subarray(0, bytesRead);
    let kept = false;
    let failure: unknown = 'the note is gone (deleted or renamed since)';
    try {
      kept = await appendToFile(absolute, bytes);
    } catch (error) {
      failure = error;
    }
    if (kept) this.options.logger.info({ path, bytes: bytesRead }, 'kept what another process appended while the note was rewritten');
    // The rewrite stands; the other process's addition is in the log so a person can restore it.
    else this.options.logger.error({ path, err: failure, lost: bytes.toString('utf8') }, 'could not carry over what another process appended while the note was rewritten');
    return from + bytesRead;
  }

  /**
   * Looks at the replaced file again after each of LATE_LOOKS_MS, under the note's lock (as a write
   * of ours), carrying over what landed there since; then closes it. Timers do not hold the process;
   * `close` does the last look at once.
   */
  private lookAgainLater(old: FileHandle, carried: number, absolute: string, path: string): void {
    let from = carried;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const lookNow = () =>
      this.options.locks
        .run(path, async () => {
          from = await this.carryOver(old, from, absolute, path);
        })
        .catch((error: unknown) => this.options.logger.error({ path, err: error }, 'could not look at a replaced note again'));
    const finish = async () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.lateLooks.delete(finish);
      await lookNow();
      await old.close().catch(() => undefined);
    };
    const schedule = (index: number) => {
      if (finished) return;
      const last = index === LATE_LOOKS_MS.length - 1;
      timer = setTimeout(() => void (last ? finish() : lookNow().then(() => schedule(index + 1))), LATE_LOOKS_MS[index]! - (LATE_LOOKS_MS[index - 1] ?? 0));
      timer.unref();
    };
    this.lateLooks.add(finish);
    schedule(0);
  }

  /** Gives every replaced file still looked at (lookAgainLater) its last look now, and closes it. */
  async close(): Promise<void> {
    await Promise.all([...this.lateLooks].map((finish) => finish()));
  }
}

interface PlannedWrite {
  path: string;
  mode: WriteMode;
  incoming: ParsedNote;
  fields: Frontmatter;
  content: string;
  expectedSha256: string | undefined;
}

/** The fields given may make the frontmatter too large: refuse what could not be read back. */
function checkedFields(text: string): string {
  const written = parseNote(text);
  if (written.problem) throw badRequest(`fields: ${written.problem}`);
  return text;
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
  const base = Object.keys(merged).length > 0 ? checkedFields(withFields(existing, merged)) : existingText;
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
