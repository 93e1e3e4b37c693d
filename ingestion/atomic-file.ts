/**
 * Writes that no reader ever sees half of, and that survive a crash: the text goes to a unique
 * hidden temp file in the same folder, is flushed to disk, then takes the target's name in one
 * step. The folder is flushed too, so the new name itself is durable.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { appendWhole } from '../common/append-whole.js';

export type WriteOutcome = 'written' | 'exists' | 'changed';

// `.<note name>.<uuid>.tmp`: a note name always ends in .md, so nothing but our own temp files
// matches. A process killed mid-write (kill -9, power cut) leaves one behind; the brain removes
// those at start (isStaleTempFile).
const TEMP_FILE = /^\..+\.md\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;
// Temp files this process is writing right now, which are not stale whatever their age.
const inFlight = new Set<string>();

/** True for a temp file of ours (by its exact name pattern) that no write of this process owns. */
export function isStaleTempFile(folder: string, name: string): boolean {
  return TEMP_FILE.test(name) && !inFlight.has(join(folder, name));
}

/**
 * Writes `text` to `target`. With `exclusive`, an existing target is left alone and 'exists' comes
 * back: the temp file is hard-linked to the target name, which the kernel refuses atomically when
 * the name is taken, so not even another process writing at the same moment is overwritten.
 */
export async function writeFileAtomic(
  target: string,
  text: string,
  { exclusive, unchanged }: { exclusive: boolean; unchanged?: () => Promise<boolean> },
): Promise<WriteOutcome> {
  const folder = dirname(target);
  // Hidden (leading dot), so the indexer and the watcher pass over it.
  const temp = join(folder, `.${basename(target)}.${randomUUID()}.tmp`);
  inFlight.add(temp);
  try {
    return await writeThroughTemp(temp, target, text, exclusive, unchanged);
  } finally {
    inFlight.delete(temp);
  }
}

async function writeThroughTemp(
  temp: string,
  target: string,
  text: string,
  exclusive: boolean,
  unchanged: (() => Promise<boolean>) | undefined,
): Promise<WriteOutcome> {
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Checked as late as possible, right before the rename: what another process wrote to the
    // target since the caller read it would be replaced.
    if (unchanged && !(await unchanged())) return 'changed';
    if (exclusive) {
      const linked = await link(temp, target).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') return false;
          throw error;
        },
      );
      if (!linked) return 'exists';
    } else {
      await rename(temp, target);
    }
  } finally {
    // Whatever happened (a full disk part-way through, a refusal), no temp file outlives the write.
    await rm(temp, { force: true });
  }
  await syncFolder(dirname(target));
  return 'written';
}

/**
 * Adds `text` at the end of the existing file `target` with O_APPEND, in one write call: the kernel
 * puts it after whatever the file holds at that moment, so bytes other processes append (an editor,
 * a script) are never lost, unlike read-modify-rename. Returns false when `target` does not exist.
 * Readers may see the addition land (it is not atomic like a rename), never a note cut short.
 * Whole or not at all: a write that fails part-way (a full disk) is cut off again.
 */
export async function appendToFile(target: string, text: string | Buffer): Promise<boolean> {
  let handle;
  try {
    handle = await open(target, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    await appendWhole(handle, typeof text === 'string' ? Buffer.from(text, 'utf8') : text, { sync: true });
  } finally {
    await handle.close();
  }
  return true;
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems cannot fsync a directory; the rename has happened, so the write stands.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}
