/**
 * Note names: the relative paths under `knowledge/` that a caller may write or read. Every rule
 * here exists to keep a name inside the brain and visible in it; a refused name gets the reason.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { cutToBytes } from '../common/utf8.js';

export class BadNoteName extends Error {}

/**
 * Filesystems allow 255 bytes per name (ext4, APFS, NTFS), and a write goes through a temp file
 * named `.<name>.<uuid>.tmp`, 42 bytes longer than the name: 213 bytes would fit, and a round 200
 * leaves room. Counted in UTF-8 bytes, not characters: a CJK character takes 3.
 */
export const MAX_NAME_BYTES = 200;
export const MAX_PATH_BYTES = 1024;
// A generated name stays short enough to read in a listing, and well inside MAX_NAME_BYTES.
const GENERATED_NAME_CHARS = 80;
const GENERATED_NAME_BYTES = 120;

/**
 * Checks a caller's name and returns it normalised (`/` separators, `.md` appended). Throws
 * BadNoteName for anything that could leave `knowledge/` or hide a file.
 */
export function normaliseNoteName(name: string): string {
  if (name.trim() === '') throw new BadNoteName('filename is empty');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new BadNoteName('filename contains a control character');
  if (name.includes('\\')) throw new BadNoteName('filename contains a backslash; separate folders with /');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.startsWith('~')) {
    throw new BadNoteName('filename must be relative to knowledge/');
  }
  if (Buffer.byteLength(name) > MAX_PATH_BYTES) throw new BadNoteName(`filename is too long: at most ${MAX_PATH_BYTES} bytes (UTF-8)`);
  for (const segment of name.split('/')) {
    if (segment === '') throw new BadNoteName('filename has an empty folder name (// or a trailing /)');
    if (segment === '..' || segment === '.') throw new BadNoteName('filename must not contain . or .. segments');
    if (segment.startsWith('.')) throw new BadNoteName(`"${segment}" starts with a dot and would be hidden`);
    if (segment.trim() !== segment) throw new BadNoteName(`"${segment}" starts or ends with a space`);
  }
  const withExtension = name.endsWith('.md') ? name : `${name}.md`;
  const long = withExtension.split('/').find((segment) => Buffer.byteLength(segment) > MAX_NAME_BYTES);
  if (long !== undefined) {
    throw new BadNoteName(`"${Array.from(long).slice(0, 20).join('')}…" is too long: at most ${MAX_NAME_BYTES} bytes (UTF-8) per folder or file name`);
  }
  return withExtension;
}

/** A file name from a title: lowercase words joined by dashes, letters of any script kept. */
export function nameFromTitle(title: string): string | null {
  const slug = title
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  const cut = cutToBytes(Array.from(slug).slice(0, GENERATED_NAME_CHARS).join(''), GENERATED_NAME_BYTES).replace(/-+$/, '');
  return cut ? `${cut}.md` : null;
}

/** A file name from the moment of writing, unique enough that two writes in a second differ. */
export function nameFromDate(now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '').replace('T', '-');
  return `note-${stamp}-${Math.random().toString(36).slice(2, 6)}.md`;
}

/**
 * The absolute path of `name` (already normalised) under `root`, its folders created when `create`.
 * Refuses when any existing part of the path is a symlink, or the folders resolve outside `root`:
 * a link could lead anywhere.
 */
export async function placeNote(root: string, name: string, { create }: { create: boolean }): Promise<string> {
  const realRoot = await realpath(root);
  const segments = name.split('/');
  let current = realRoot;
  for (const [i, segment] of segments.entries()) {
    current = join(current, segment);
    const stat = await lstat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    const isLast = i === segments.length - 1;
    if (stat?.isSymbolicLink()) throw new BadNoteName(`"${segments.slice(0, i + 1).join('/')}" is a symbolic link`);
    if (!isLast) {
      if (!stat && !create) return join(realRoot, name); // nothing there to read
      if (!stat) await mkdir(current).catch(ignoreExists);
      else if (!stat.isDirectory()) throw new BadNoteName(`"${segments.slice(0, i + 1).join('/')}" is a file, not a folder`);
    } else if (stat && !stat.isFile()) {
      throw new BadNoteName(`"${name}" exists and is not a regular file`);
    }
  }
  // Belt and braces: whatever happened on the way, the folder must still resolve inside the root.
  const folder = await realpath(join(current, '..'));
  if (folder !== realRoot && !folder.startsWith(realRoot + sep)) throw new BadNoteName(`"${name}" resolves outside knowledge/`);
  return current;
}

function ignoreExists(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EEXIST') throw error;
}
