/**
 * A file read from its end, a line at a time: what the readers of a session log want is its newest
 * entries, so they read back from the end in chunks and stop when they have enough, never at a
 * cost that grows with the log.
 */
import type { FileHandle } from 'node:fs/promises';

/** The first read is small (a call's history is a few entries); each next one doubles, up to the largest. */
const FIRST_CHUNK = 16 * 1024;
const LARGEST_CHUNK = 256 * 1024;
const NEWLINE = 0x0a;

/**
 * Hands the file's lines to `take`, the last first, each without its newline, until `take` returns
 * false or the file's last `maxBytes` are used up. Empty lines are passed over. The last line is
 * handed over whether or not a newline ends it (a torn line is the caller's to reject); a line whose
 * start lies before the last `maxBytes` is not handed over at all. A line is a view of a buffer that
 * is only read once, so a caller may keep it.
 *
 * Returns the offset where the earliest line handed over starts — or, when every line of the range
 * was handed over, where the range's first complete line starts: the bytes before it belong to
 * earlier lines.
 */
export async function eachLineFromEnd(handle: FileHandle, size: number, maxBytes: number, take: (line: Buffer) => boolean): Promise<number> {
  // One byte more than the range when the file is longer: a newline there says the range's first line is whole.
  const length = Math.min(size, maxBytes + 1);
  // Only what is read is ever looked at: no need to zero-fill it.
  const buffer = Buffer.allocUnsafe(length);
  const base = size - length; // the file offset of buffer[0]
  let unread = length; // buffer[0, unread) is not read yet
  let lineEnd = length; // the line being gathered ends here (exclusive)
  let chunk = FIRST_CHUNK;
  while (unread > 0) {
    const from = Math.max(0, unread - chunk);
    await readFully(handle, buffer, from, unread - from, base + from);
    let newline = buffer.subarray(from, lineEnd).lastIndexOf(NEWLINE);
    while (newline >= 0) {
      const start = from + newline + 1;
      if (start < lineEnd && !take(buffer.subarray(start, lineEnd))) return base + start;
      lineEnd = start - 1;
      newline = buffer.subarray(from, lineEnd).lastIndexOf(NEWLINE);
    }
    unread = from;
    chunk = Math.min(chunk * 2, LARGEST_CHUNK);
  }
  // The range's first line: a whole line only when the range starts the file.
  if (base === 0 && lineEnd > 0) {
    take(buffer.subarray(0, lineEnd));
    return 0;
  }
  return base + lineEnd + (base === 0 ? 0 : 1);
}

/**
 * Line ends in the file's bytes [from, to), read 1 MiB at a time: counted, never parsed. Used for
 * the entries before the part of a log that was read.
 */
export async function countLineEnds(handle: FileHandle, from: number, to: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(Math.min(Math.max(to - from, 0), 1024 * 1024));
  let lines = 0;
  for (let position = from; position < to; ) {
    const length = Math.min(chunk.length, to - position);
    await readFully(handle, chunk, 0, length, position);
    const read = chunk.subarray(0, length);
    for (let at = read.indexOf(NEWLINE); at >= 0; at = read.indexOf(NEWLINE, at + 1)) lines++;
    position += length;
  }
  return lines;
}

/** Reads exactly `length` bytes (a read may return fewer); a file that shrank under us reads as spaces, which no line parses as. */
async function readFully(handle: FileHandle, buffer: Buffer, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, offset + done, length - done, position + done);
    if (bytesRead === 0) {
      buffer.fill(0x20, offset + done, offset + length);
      return;
    }
    done += bytesRead;
  }
}
