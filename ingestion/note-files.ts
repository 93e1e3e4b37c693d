/**
 * Reading note files: whole (GET /notes, appends, conditional writes) or as much as the index uses,
 * their content hash, and the stamp that tells one version of a file from the next. Nothing here
 * holds the event loop for long, whatever a file's size or kind.
 */
import { createHash } from 'node:crypto';
import { constants, lstatSync, opendirSync, type Dir, type Dirent } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { Logger } from 'pino';
import { noteTooLarge } from './errors.js';
import { noteTags, noteTitle, parseNote, scalarField, type ParsedNote } from './frontmatter.js';
import type { FileStamp, IndexedNote } from './search-index.js';

/** The most a write may carry, as POST /write's body limit: the same refusal whichever way it comes. */
export const MAX_CONTENT_BYTES = 1024 * 1024;
/**
 * The largest note read whole: by GET /notes, an append, a conditional write. Appends (or an editor)
 * can grow a note past any write's size; reading, decoding and sending a note of hundreds of MiB
 * would hold the service for seconds and its memory with it. Four writes' worth.
 */
export const MAX_NOTE_READ_BYTES = 4 * MAX_CONTENT_BYTES;
// Text beyond this is not indexed (the note is kept whole on disk): a giant file would make every
// query that matches it slow, and nobody searches past the first megabyte of a note.
const MAX_INDEXED_CHARS = 1 << 20;
/** What is read of a file to index it: the indexed body plus room for its frontmatter (and UTF-8). */
export const MAX_READ_FOR_INDEX_BYTES = 4 * MAX_INDEXED_CHARS + 64 * 1024;
/** Bytes hashed between two turns of the event loop: about a millisecond of SHA-256. */
const HASH_SLICE_BYTES = 1024 * 1024;
/**
 * Entries listed and stat'ed between two turns of the event loop, in a folder of many thousand notes.
 * Small, because a write waits for the slice under way at each of its ~10 file operations: slices of
 * 500 entries (~5 ms) made every write during a rescan of 100,000 notes take ~50 ms instead of ~4.
 */
const WALK_SLICE = 64;
/** Entries a folder's listing reads from the system at once (Node's default is 32). */
const LISTING_BUFFER = 256;

export interface WalkOptions {
  /** Called with each folder (relative, '' for the top) before it is listed. */
  onFolder?: ((folder: string) => void) | undefined;
  /** Called with each hidden file passed over (its folder's absolute path and its name). */
  onHiddenFile?: ((absoluteFolder: string, name: string) => void) | undefined;
}

/**
 * Every note file below `folder` of `knowledgeDir`, with its stamp. Hidden entries (dot files, .git,
 * temp files) and symbolic links are passed over — a link could lead out of the brain — and so is
 * anything that is not a regular file (a FIFO would hang a read). A folder is listed a slice at a
 * time and each note stat'ed synchronously (a hundred thousand awaited stats take ten times longer);
 * the event loop gets a turn between folders and every WALK_SLICE entries, so even a folder of
 * hundreds of thousands of notes never holds it long: reading its whole listing at once did.
 */
export async function* noteFilesUnder(knowledgeDir: string, folder = '', options: WalkOptions = {}): AsyncGenerator<[string, FileStamp]> {
  options.onFolder?.(folder);
  const absolute = join(knowledgeDir, folder);
  let listing: Dir;
  try {
    listing = opendirSync(absolute, { bufferSize: LISTING_BUFFER });
  } catch {
    return; // removed while we looked, or unreadable: no notes there
  }
  const folders: string[] = [];
  try {
    for (let done = false; !done; ) {
      const notes: Array<[string, FileStamp]> = [];
      for (let seen = 0; seen < WALK_SLICE; seen++) {
        const entry = nextEntry(listing);
        if (!entry) {
          done = true;
          break;
        }
        if (entry.name.startsWith('.')) {
          if (entry.isFile()) options.onHiddenFile?.(absolute, entry.name);
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
    }
  } finally {
    listing.closeSync();
  }
  for (const sub of folders) yield* noteFilesUnder(knowledgeDir, sub, options);
}

/** The listing's next entry; null at its end, or when the folder went away while it was listed. */
function nextEntry(listing: Dir): Dirent | null {
  try {
    return listing.readSync();
  } catch {
    return null;
  }
}

/**
 * The start of a note file, as much as the index uses, and the SHA-256 of the whole file: a giant
 * file dropped into the brain must not be read whole into memory and parsed on the event loop, so
 * the rest of it is read and hashed a slice at a time. Opened without blocking and checked on the
 * handle, so a FIFO swapped in after the walk looked cannot hang the read.
 */
export async function readForIndexing(absolute: string): Promise<{ text: string; sha256: string; stamp: FileStamp }> {
  const handle = await open(absolute, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    // Stamped before reading, so the stamp is never newer than the text: a change made meanwhile
    // gives the file another stamp than the index holds, and the next look reads it again.
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
    return { text: start.toString('utf8'), sha256: hash.digest('hex'), stamp: toStamp(stat) };
  } finally {
    await handle.close();
  }
}

/**
 * A note's bytes, refused (noteTooLarge) past MAX_NOTE_READ_BYTES: sized on the open file, so a note
 * growing meanwhile is read only up to what was sized. Given a handle, reads it from the start and
 * leaves it open.
 */
export async function readWhole(file: string | FileHandle, path: string): Promise<Buffer> {
  const handle = typeof file === 'string' ? await open(file, 'r') : file;
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
    if (typeof file === 'string') await handle.close();
  }
}

/** Lowercase hex SHA-256 of `bytes`, a slice at a time so a large file never holds the event loop. */
export async function hashBytes(bytes: Buffer): Promise<string> {
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

/** What the index and a read say of a note besides its body: title, type, domain, tags. */
export function describeNote(parsed: ParsedNote, path: string) {
  return {
    title: noteTitle(parsed.data, parsed.body, path),
    type: scalarField(parsed.data.type),
    domain: scalarField(parsed.data.domain),
    tags: noteTags(parsed.data.tags),
  };
}

/**
 * The index's row for a note's text; a note whose frontmatter does not parse is indexed by its body,
 * and `problem` says why (the index keeps it, and the Brain a list of such notes the web page shows).
 */
export function toIndexed(path: string, text: string, sha256: string, stamp: FileStamp, logger: Logger): IndexedNote {
  const parsed = parseNote(text);
  if (parsed.problem) logger.warn({ path, problem: parsed.problem }, 'note indexed by its body only');
  return { path, ...stamp, ...describeNote(parsed, path), body: parsed.body.slice(0, MAX_INDEXED_CHARS), sha256, ...(parsed.problem ? { problem: parsed.problem } : {}) };
}

export function toStamp(stat: { size: number; mtimeMs: number; ino: number }): FileStamp {
  return { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
}

export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}
