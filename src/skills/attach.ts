/**
 * The code a consultant sees: what the caller attached, plus — when the server may read the
 * project itself (its project_root lies under SUPERVISOR_PROJECT_ROOTS) — the files the call names.
 * Nothing outside project_root is read, binary files are skipped, sizes are capped, and every file
 * named is reported as attached or skipped with the reason.
 */
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Attachment } from './prompt.js';

export const FILE_CAP_BYTES = 64 * 1024;
export const TOTAL_CAP_BYTES = 256 * 1024;

export interface AttachmentReport {
  path: string;
  status: 'given' | 'attached' | 'skipped';
  reason?: string;
  chars?: number;
}

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
  const missing = [...new Set(options.named)].filter((path) => !options.given.some((a) => samePath(a.path, path)));
  if (missing.length === 0) return { attachments, report };

  const root = options.projectRoot;
  if (!root || !options.readableRoots.some((allowed) => within(allowed, root))) {
    const reason =
      options.notReadable ?? 'not attached: the server may not read this project_root (see SUPERVISOR_PROJECT_ROOTS); pass the file in attachments or use the bridge';
    for (const path of missing) report.push({ path, status: 'skipped', reason });
    return { attachments, report };
  }

  let total = attachments.reduce((sum, a) => sum + Buffer.byteLength(a.content), 0);
  const realRoot = await realpath(root).catch(() => null);
  for (const path of missing) {
    const skip = (reason: string) => report.push({ path, status: 'skipped', reason });
    if (!realRoot) {
      skip('project_root does not exist on the server');
      continue;
    }
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

async function readCapped(file: string, cap: number, totalCap: number): Promise<{ text: string; truncated: boolean } | { skipped: string }> {
  if (cap <= 0) return { skipped: `the ${Math.round(totalCap / 1024)} KiB limit for all files of a call is reached` };
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return { skipped: 'cannot be read' };
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { skipped: 'not a regular file' };
    const buffer = Buffer.alloc(Math.min(cap, stat.size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (bytes.subarray(0, 8192).includes(0)) return { skipped: 'binary file' };
    let text = bytes.toString('utf8');
    const truncated = stat.size > bytesRead;
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

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

function samePath(a: string, b: string): boolean {
  return a.replace(/^\.\//, '') === b.replace(/^\.\//, '');
}
