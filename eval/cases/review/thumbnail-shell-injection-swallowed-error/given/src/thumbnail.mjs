import { exec } from 'node:child_process';
import { promisify } from 'node:util';
import { thumbSize } from './sizes.mjs';

const run = promisify(exec);

/** Writes a thumbnail beside an uploaded image; `file` is the name the user uploaded it under. */
export async function makeThumbnail(file, size) {
  const { width, height } = thumbSize(size);
  await run(`convert "${file}" -resize ${width}x${height} "${file}.thumb.png"`);
  return `${file}.thumb.png`;
}
