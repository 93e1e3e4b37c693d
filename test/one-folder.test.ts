/**
 * A brain with every note in one folder: the walk lists it a slice at a time and the writer thread
 * compares the stamps a slice at a time (ingestion/note-files.ts, ingestion/stamp-check.ts), so what
 * a reconcile finds must not depend on where the slices begin and end.
 */
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Brain } from '../ingestion/index.js';

/** More than one slice of the walk (500) and of the comparison (2,000). */
const NOTES = 4_500;
let dir: string;
let brain: Brain | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-one-folder-'));
  const knowledge = join(dir, 'knowledge');
  await mkdir(join(knowledge, 'sub'), { recursive: true });
  for (let i = 0; i < NOTES; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, j) => writeFile(join(knowledge, `note-${i + j}.md`), `# Note ${i + j}\n\nword${i + j}\n`)));
  }
  await writeFile(join(knowledge, 'sub', 'below.md'), '# Below\n\nbelow\n');
  await writeFile(join(knowledge, '.hidden.md'), '# Hidden\n');
  await writeFile(join(knowledge, 'plain.txt'), 'not a note');
});

afterEach(async () => {
  await brain?.close();
  brain = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('every note in one folder', () => {
  it('is indexed once, and a later reconcile finds exactly the notes changed, added and removed', async () => {
    brain = await Brain.open(dir, pino({ level: 'silent' }));
    expect(await brain.reconcile()).toMatchObject({ indexed: NOTES + 1, removed: 0, unchanged: 0, failed: 0 });
    expect(brain.noteCount()).toBe(NOTES + 1);

    const knowledge = join(dir, 'knowledge');
    // Spread over the slices: the first note, one on each side of a slice's end, the last.
    for (const i of [0, 499, 500, 1999, 2000, NOTES - 1]) await writeFile(join(knowledge, `note-${i}.md`), `# Note ${i}\n\nchanged and longer\n`);
    for (const i of [1, 2001, NOTES - 2]) await unlink(join(knowledge, `note-${i}.md`));
    await writeFile(join(knowledge, 'added.md'), '# Added\n\nadded\n');

    expect(await brain.reconcile()).toMatchObject({ indexed: 7, removed: 3, unchanged: NOTES + 1 - 6 - 3, failed: 0 });
    expect(brain.noteCount()).toBe(NOTES + 1 - 3 + 1);
    expect((await brain.search({ query: 'word2001', limit: 5 })).length).toBe(0);
    expect((await brain.search({ query: 'added', limit: 5 }))[0]?.path).toBe('added.md');
    expect((await brain.search({ query: 'below', limit: 5 }))[0]?.path).toBe('sub/below.md');
  });
});
