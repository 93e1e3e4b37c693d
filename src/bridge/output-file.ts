/**
 * A call's answer saved to a file on the user's machine: the bridge runs there, so it is the one that
 * writes (the server may be on another machine). The tool names the argument that holds the path in
 * tools/list (`_meta["supervisor/output_file"]`: spec's `output_path`). The path is relative to
 * `project_root` (an absolute one must lie under it), must stay under it once symbolic links are
 * resolved, and an existing file is replaced only when the call says `overwrite: true`.
 */
import { lstat, mkdir, realpath, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { within } from '../consult/attach.js';

/** Where the answer will go (`file`, the real path of the `path` the call gave), checked before the call is sent. */
type Target = { path: string; file: string; overwrite: boolean };

export interface OutputReport {
  path: string;
  status: 'written' | 'not written';
  reason?: string;
  chars?: number;
}

/** Checks `path` under the real `root` (already allowed by the bridge's project roots). */
export async function outputTarget(root: string, path: string, overwrite: boolean): Promise<Target | { refused: string }> {
  const target = resolve(root, path);
  if (!within(root, target)) return { refused: `output_path ${path} is outside project_root; give a path under it` };
  const throughLink = { refused: `output_path ${path} leads outside project_root (a symbolic link)` };
  const existing = await lstat(target).catch(() => null);
  if (existing) {
    if (!overwrite) return { refused: `output_path ${path} exists; nothing was sent. Pass overwrite: true to replace it, or choose another path` };
    const real = await realpath(target).catch(() => null);
    if (!real || !within(root, real)) return throughLink;
    if (!(await lstat(real)).isFile()) return { refused: `output_path ${path} is not a regular file` };
    return { path, file: real, overwrite };
  }
  // A new file: the folders that exist on the way to it must lie under project_root once resolved.
  let folder = dirname(target);
  while (!(await lstat(folder).catch(() => null))) folder = dirname(folder);
  const realFolder = await realpath(folder).catch(() => null);
  if (!realFolder || !within(root, realFolder)) return throughLink;
  return { path, file: resolve(realFolder, relative(folder, target)), overwrite };
}

/** Writes `text`; never over a file that appeared since the check unless overwriting was asked for. */
export async function writeOutput(target: Target, text: string): Promise<OutputReport> {
  try {
    await mkdir(dirname(target.file), { recursive: true });
    await writeFile(target.file, text, { flag: target.overwrite ? 'w' : 'wx' });
    return { path: target.path, status: 'written', chars: text.length };
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    const reason = code === 'EEXIST' ? 'the file was created meanwhile; pass overwrite: true to replace it' : String(code ?? (error as Error)?.message ?? error);
    return { path: target.path, status: 'not written', reason };
  }
}

export function outputLine(report: OutputReport): string {
  return report.status === 'written'
    ? `Saved by the bridge to ${report.path} (${report.chars} characters).`
    : `Not saved to ${report.path}: ${report.reason}. The text above is the whole answer.`;
}
