/** Appending to a file whole or not at all: a brain note, a session log. */
import type { FileHandle } from 'node:fs/promises';

/**
 * Appends `bytes` to the file open in append mode as `handle` (one write in practice, so concurrent
 * appenders never interleave within it), flushed to disk with `sync`. A write cut short — a full disk
 * takes what fits, then refuses the rest — is finished, and when that fails the part written is cut
 * off again and the error thrown: never a torn line or half an addition left behind by us. Cut only
 * when nobody appended after it meanwhile (the file is its old size plus our bytes): another writer's
 * bytes are never cut. Should the cut fail too, the error thrown is still the write's.
 */
export async function appendWhole(handle: FileHandle, bytes: Buffer, { sync = false, size }: { sync?: boolean; size?: number } = {}): Promise<void> {
  // The size the caller just saw spares a stat; should another writer have appended since, the
  // check before a cut finds the file longer than start + written and cuts nothing, as it should.
  const start = size ?? (await handle.stat()).size;
  let written = 0;
  try {
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
      if (bytesWritten === 0) throw Object.assign(new Error('no space left on device: the disk took none of the bytes'), { code: 'ENOSPC' });
      written += bytesWritten;
    }
    if (sync) await handle.sync();
  } catch (error) {
    if (written > 0 && (await handle.stat().catch(() => null))?.size === start + written) await handle.truncate(start).catch(() => undefined);
    throw error;
  }
}
