/**
 * Which tool saved a note: the trainer and the retrospective save notes with `source: trainer` (or
 * `retrospective`) in their frontmatter (src/knowledge/save.ts). The index does not hold that field,
 * so the page reads the first few KiB of each note it lists: a bounded page, a bounded read each.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { parseNote } from '../frontmatter.js';
import { normaliseNoteName, placeNote } from '../note-names.js';

/** What is read of a note to find its frontmatter's `source`: frontmatter is short. */
const HEAD_BYTES = 8 * 1024;

export type SavedBy = 'trainer' | 'retrospective';

/** The tool that saved the note, from its frontmatter; null for any other note (or one unreadable now). */
export async function savedBy(knowledgeDir: string, path: string): Promise<SavedBy | null> {
  try {
    const absolute = await placeNote(knowledgeDir, normaliseNoteName(path), { create: false });
    // Non-blocking open: a FIFO swapped in under the name cannot hang the page.
    const handle = await open(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      if (!(await handle.stat()).isFile()) return null;
      const head = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
      return sourceOf(parseNote(head.subarray(0, bytesRead).toString('utf8')).data.source);
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

function sourceOf(value: unknown): SavedBy | null {
  return value === 'trainer' || value === 'retrospective' ? value : null;
}

/** The marks of a page of notes, read side by side. */
export async function marksOf(knowledgeDir: string, paths: readonly string[]): Promise<Map<string, SavedBy>> {
  const found = await Promise.all(paths.map(async (path) => [path, await savedBy(knowledgeDir, path)] as const));
  return new Map(found.flatMap(([path, by]) => (by ? [[path, by] as const] : [])));
}
