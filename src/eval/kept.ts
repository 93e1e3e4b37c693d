/**
 * Scoreboards kept between runs: one JSON file per run in SUPERVISOR_EVAL_DIR (by default the brain
 * folder's `eval/`, where the brain indexes nothing: it reads only `.md` notes), written whole or not
 * at all; `status` reads the newest, bounded.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scoreboard } from './scoreboard.js';

/** A kept scoreboard's name: its date, so names sort as runs do. */
const KEPT_NAME = /^scoreboard-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:-\d{3})?Z)\.json$/;
/** A scoreboard beyond this is not read back (thousands of results); the run that made it printed it whole. */
export const KEPT_READ_BYTES = 8 * 1024 * 1024;

export async function saveScoreboard(dir: string, board: Scoreboard): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = `scoreboard-${board.date.replace(/:/g, '-').replace('.', '-')}.json`;
  const path = join(dir, name);
  const temp = join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(board, null, 2)}\n`, { flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return path;
}

/** The newest kept scoreboard, or null when there is none (or no such folder). */
export async function latestScoreboard(dir: string): Promise<{ board: Scoreboard; path: string } | { problem: string } | null> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const newest = names.filter((name) => KEPT_NAME.test(name)).sort().at(-1);
  if (!newest) return null;
  const path = join(dir, newest);
  // Looked at before it is opened: a FIFO or a link under that name is never opened.
  const stat = await lstat(path).catch(() => null);
  if (!stat?.isFile()) return { problem: `${newest} is not a regular file` };
  if (stat.size > KEPT_READ_BYTES) return { problem: `${newest} is ${stat.size} bytes, more than the ${KEPT_READ_BYTES} read back` };
  let board: Scoreboard;
  try {
    board = JSON.parse(await readFile(path, 'utf8')) as Scoreboard;
  } catch {
    return { problem: `${newest} cannot be read as JSON` };
  }
  if (board?.version !== 1 || !Array.isArray(board.scores) || typeof board.date !== 'string') return { problem: `${newest} is not a scoreboard of this version` };
  return { board, path };
}
