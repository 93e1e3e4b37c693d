/**
 * Writes that no reader ever sees half of, and that survive a crash: the text goes to a unique
 * hidden temp file in the same folder, is flushed to disk, then takes the target's name in one
 * step. The folder is flushed too, so the new name itself is durable.
 */
import { randomUUID } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type WriteOutcome = 'written' | 'exists';

/**
 * Writes `text` to `target`. With `exclusive`, an existing target is left alone and 'exists' comes
 * back: the temp file is hard-linked to the target name, which the kernel refuses atomically when
 * the name is taken, so not even another process writing at the same moment is overwritten.
 */
export async function writeFileAtomic(target: string, text: string, { exclusive }: { exclusive: boolean }): Promise<WriteOutcome> {
  const folder = dirname(target);
  // Hidden (leading dot), so the indexer and the watcher pass over it.
  const temp = join(folder, `.${basename(target)}.${randomUUID()}.tmp`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
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
    await rm(temp, { force: true });
  }
  await syncFolder(folder);
  return 'written';
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

/** Runs tasks one at a time per key, in arrival order; different keys run side by side. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
