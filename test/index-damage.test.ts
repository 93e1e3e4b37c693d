/**
 * A damaged search index heals itself from the notes, the source of truth: damaged while the
 * service was stopped (it used to exit at every start with "database disk image is malformed"),
 * or while it runs (every query used to answer 500 while /ready said ready). The notes are never
 * touched, searches say they wait for the rebuild, and /ready tells the truth meanwhile.
 */
import { mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot, startService, within, type TestService } from './support/service.js';
import { GENEROUS_MS } from './support/wait.js';

const NOTES = 400;

/** A brain folder of NOTES notes, each with a word of its own (`uniqueN`) and one they share (`ocelot`). */
async function brainWithNotes(): Promise<string> {
  const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-damage-'));
  await mkdir(join(brainDir, 'knowledge', 'cats'), { recursive: true });
  for (let i = 0; i < NOTES; i++) {
    const body = `# Note ${i}\n\nunique${i} is about the ocelot. ${'Spotted fur and long tails, seen at night. '.repeat(20)}\n`;
    await writeFile(join(brainDir, 'knowledge', 'cats', `note-${i}.md`), body);
  }
  return brainDir;
}

/**
 * Overwrites every page of the index file but its header with junk, after moving what the WAL holds
 * into it: what a bad disk block, a half-copied backup or a stray `dd` leaves.
 */
async function damageIndex(brainDir: string): Promise<void> {
  const file = join(brainDir, '.index', 'brain.sqlite');
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const { size } = await stat(file);
  const junk = Buffer.alloc(size - 4096, 0x5a);
  const handle = await open(file, 'r+');
  try {
    await handle.write(junk, 0, junk.length, 4096);
  } finally {
    await handle.close();
  }
}

const hitsFor = async (service: TestService, query: string) => {
  const answer = await service.post('/query', { query, limit: 50 });
  return { status: answer.status, paths: (answer.body.results ?? []).map((hit: { path: string }) => hit.path), error: answer.body.error as string | undefined };
};

describe('an index damaged while the service was stopped', () => {
  let brainDir: string;
  let service: TestService | undefined;
  beforeAll(async () => {
    brainDir = await brainWithNotes();
    const first = await startService({ brainDir });
    expect((await hitsFor(first, 'unique7')).paths).toEqual(['cats/note-7.md']);
    await first.close();
    await damageIndex(brainDir);
  });
  afterAll(async () => {
    await service?.close();
    await rm(brainDir, { recursive: true, force: true });
  });

  it('is rebuilt from the notes at start, the notes untouched: every note is found again', async () => {
    const before = await snapshot(join(brainDir, 'knowledge'));
    service = await startService({ brainDir });
    expect(service.logs()).toMatch(/search index rebuilt from the notes|the search index is damaged; rebuilding it/);
    expect(await service.get('/ready')).toMatchObject({ status: 200, body: { status: 'ready', notes: NOTES } });
    expect((await hitsFor(service, 'unique123')).paths).toEqual(['cats/note-123.md']);
    expect((await hitsFor(service, 'ocelot')).paths).toHaveLength(50);
    expect(await snapshot(join(brainDir, 'knowledge'))).toEqual(before);
  });
});

describe('an index damaged while the service runs', () => {
  let brainDir: string;
  let service: TestService;
  beforeAll(async () => {
    brainDir = await brainWithNotes();
    service = await startService({ brainDir });
  });
  afterAll(async () => {
    await service.close();
    await rm(brainDir, { recursive: true, force: true });
  });

  it('is noticed by the first search that reads it, rebuilt from the notes, and /ready says so meanwhile', async () => {
    expect((await hitsFor(service, 'unique1')).paths).toEqual(['cats/note-1.md']);
    const before = await snapshot(join(brainDir, 'knowledge'));
    await damageIndex(brainDir);

    // Words no search has read yet: their pages come from the damaged file.
    const seen: Array<{ status: number; error?: string | undefined }> = [];
    const readiness: unknown[] = [];
    await within(GENEROUS_MS, async () => {
      const answer = await hitsFor(service, `unique${200 + seen.length} unique${300 + seen.length}`);
      seen.push(answer);
      readiness.push((await service.get('/ready')).body);
      return answer.status === 200 && answer.paths.length === 2;
    });
    // Never a 500: a search that found the damage, and those while the index was rebuilt, said so.
    expect(seen.filter((answer) => answer.status !== 200 && answer.status !== 503)).toEqual([]);
    const waiting = seen.filter((answer) => answer.status === 503);
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting[0]?.error).toMatch(/search index was found damaged .* being rebuilt from the notes, which are intact/);
    expect(readiness).toContainEqual({ status: 'loading', reason: expect.stringMatching(/found damaged .* rebuilt from the notes/) });

    expect(await service.get('/ready')).toMatchObject({ status: 200, body: { status: 'ready', notes: NOTES } });
    expect((await hitsFor(service, 'ocelot')).paths).toHaveLength(50);
    expect(service.logs()).toMatch(/search index rebuilt from the notes after damage/);
    expect(await snapshot(join(brainDir, 'knowledge'))).toEqual(before);
    // Writes go on as before, into the rebuilt index.
    expect((await service.post('/write', { filename: 'cats/margay', content: 'The margay climbs head first.' })).status).toBe(201);
    expect((await hitsFor(service, 'margay')).paths).toEqual(['cats/margay.md']);
  });
});
