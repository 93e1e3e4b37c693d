/**
 * The code a consultant sees: what the caller attached, plus — when the server may read the
 * project itself (its project_root lies under SUPERVISOR_PROJECT_ROOTS) — the files the call names.
 * Allowed roots and project_root are compared as real paths (links resolved), nothing outside
 * project_root is read, only regular files are opened (never a FIFO or a device), binary files are
 * skipped, sizes and counts are capped, and every file named is reported as attached or skipped with
 * the reason. Matching named against given files is linear (a Set), however many there are.
 */
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { LIMITS } from '../tools/limits.js';
import type { Attachment } from './prompt.js';

export const FILE_CAP_BYTES = 64 * 1024;
export const TOTAL_CAP_BYTES = 256 * 1024;
/** The most files one call reads; the tools' schemas refuse more, the bridge does not check. */
export const MAX_NAMED_FILES = LIMITS.files;

/**
 * Opening never waits: a FIFO opened for reading would block until a writer comes (and hold one of
 * libuv's four threads meanwhile). O_NOFOLLOW: the path was resolved, a link swapped in since is refused.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0);

import type { AttachmentReport } from '../../common/consultation-contract.js';

export type { AttachmentReport };

export interface Attached {
  attachments: Attachment[];
  report: AttachmentReport[];
}

export async function collectAttachments(options: {
  given: Attachment[];
  named: string[];
  projectRoot: string | null;
  readableRoots: string[];
  caps?: { fileBytes: number; totalBytes: number };
  /** What to tell the caller when project_root may not be read. */
  notReadable?: string;
}): Promise<Attached> {
  const caps = options.caps ?? { fileBytes: FILE_CAP_BYTES, totalBytes: TOTAL_CAP_BYTES };
  const attachments = [...options.given];
  const report: AttachmentReport[] = options.given.map((a) => ({ path: a.path, status: 'given', chars: a.content.length }));
  // A Set, so matching is linear however many files are named and given.
  const givenPaths = new Set(options.given.map((a) => normalise(a.path)));
  const wanted = [...new Set(options.named)].filter((path) => !givenPaths.has(normalise(path)));
  const missing = wanted.slice(0, MAX_NAMED_FILES);
  const notRead = wanted.length - missing.length;
  if (notRead > 0) report.push({ path: `(${notRead} more)`, status: 'skipped', reason: `a call reads at most ${MAX_NAMED_FILES} files` });
  if (missing.length === 0) return { attachments, report };

  const access = await projectAccess(options.projectRoot, options.readableRoots);
  if ('refused' in access) {
    const reason =
      access.refused === 'not allowed'
        ? (options.notReadable ?? 'not attached: the server may not read this project_root (see SUPERVISOR_PROJECT_ROOTS); pass the file in attachments or use the bridge')
        : access.refused;
    for (const path of missing) report.push({ path, status: 'skipped', reason });
    return { attachments, report };
  }

  const realRoot = access.realRoot;
  let total = attachments.reduce((sum, a) => sum + Buffer.byteLength(a.content), 0);
  for (const path of missing) {
    const skip = (reason: string) => report.push({ path, status: 'skipped', reason });
    if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) {
      skip('paths must be relative to project_root, without ..');
      continue;
    }
    const real = await realpath(resolve(realRoot, path)).catch(() => null);
    if (!real) {
      skip('not found');
      continue;
    }
    if (!within(realRoot, real)) {
      skip('resolves outside project_root (a symbolic link)');
      continue;
    }
    const read = await readCapped(real, Math.min(caps.fileBytes, caps.totalBytes - total), caps.totalBytes);
    if ('skipped' in read) {
      skip(read.skipped);
      continue;
    }
    total += Buffer.byteLength(read.text);
    attachments.push({ path, content: read.text });
    report.push({ path, status: 'attached', chars: read.text.length, ...(read.truncated ? { reason: `first ${read.text.length} characters only` } : {}) });
  }
  return { attachments, report };
}

/**
 * Whether project_root may be read: its real path (symbolic links resolved) must lie under the
 * real path of an allowed root. Comparing the text would let a link inside an allowed root that
 * points at / open the whole machine.
 */
async function projectAccess(root: string | null, allowedRoots: string[]): Promise<{ realRoot: string } | { refused: string }> {
  if (!root || !isAbsolute(root)) return { refused: 'not allowed' };
  const [realRoot, ...allowed] = await Promise.all([root, ...allowedRoots].map((path) => realpath(path).catch(() => null)));
  const textuallyAllowed = allowedRoots.some((allowedRoot) => within(allowedRoot, root));
  if (!realRoot) return textuallyAllowed ? { refused: 'project_root does not exist on the server' } : { refused: 'not allowed' };
  if (allowed.some((allowedRoot) => allowedRoot !== null && within(allowedRoot, realRoot))) return { realRoot };
  return textuallyAllowed
    ? { refused: 'not attached: project_root resolves outside SUPERVISOR_PROJECT_ROOTS (a symbolic link); pass the file in attachments or use the bridge' }
    : { refused: 'not allowed' };
}

/** Reads regular files only: a FIFO, socket or device (/dev/zero, /dev/stdin) is skipped, never opened for long. */
async function readCapped(file: string, cap: number, totalCap: number): Promise<{ text: string; truncated: boolean } | { skipped: string }> {
  if (cap <= 0) return { skipped: `the ${Math.round(totalCap / 1024)} KiB limit for all files of a call is reached` };
  const info = await stat(file).catch(() => null);
  if (!info) return { skipped: 'cannot be read' };
  if (!info.isFile()) return { skipped: 'not a regular file' };
  const handle = await open(file, OPEN_FLAGS).catch(() => null);
  if (!handle) return { skipped: 'cannot be read' };
  try {
    // Checked again on what was opened: the path may have been swapped since the stat.
    const opened = await handle.stat();
    if (!opened.isFile()) return { skipped: 'not a regular file' };
    const buffer = Buffer.alloc(Math.min(cap, opened.size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (bytes.subarray(0, 8192).includes(0)) return { skipped: 'binary file' };
    let text = bytes.toString('utf8');
    const truncated = opened.size > bytesRead;
    if (truncated) {
      // Cut at the last line end, so no line is half there; a file without one is cut at the cap,
      // less a character the cap split in two.
      const lineEnd = text.lastIndexOf('\n');
      text = lineEnd > 0 ? text.slice(0, lineEnd) : text.replace(/\uFFFD$/, '');
    }
    return { text, truncated };
  } finally {
    await handle.close();
  }
}

/** Whether `path` is `root` or inside it; both must already be real paths for this to mean anything. */
export function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** `./src/a.ts` and `src/a.ts` name the same file. */
function normalise(path: string): string {
  return path.replace(/^\.\//, '');
}
