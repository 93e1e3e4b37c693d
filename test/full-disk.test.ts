/**
 * A real full disk: the brain folder is a small tmpfs (notes and the SQLite index share it), filled
 * with a filler file until only a known amount is free. Every write and append is whole or not at
 * all, the caller is told 507 and what to do, no temp file outlives a failed write, and once the
 * filler is gone the index matches the disk again, notes that landed while the index could not grow
 * included. Needs root (mount -t tmpfs); skipped with the reason otherwise.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, fstatSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startService, within, type TestService } from './support/service.js';

const PAGE = 4096;
const mountPoint = await mkdtemp(join(tmpdir(), 'supervisor-full-disk-'));
/** Null when the tmpfs is mounted; else why these tests cannot run here. */
const cannotMount = ((): string | null => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'tmpfs', mountPoint], { stdio: 'pipe' });
    return null;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return `cannot mount a tmpfs as the brain folder (needs root): ${stderr || (error as Error).message}`;
  }
})();
const filler = join(mountPoint, 'filler');

/**
 * Fills the disk, then gives back exactly `leave` bytes (whole pages): written until the kernel says
 * ENOSPC (a short write ends on a page boundary), then cut short by `leave`.
 */
function fillLeaving(leave: number): void {
  const fd = openSync(filler, 'a');
  try {
    const chunk = Buffer.alloc(64 * 1024, 0x66);
    for (;;) {
      try {
        if (writeSync(fd, chunk) < chunk.length) break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
    const full = Math.floor(fstatSync(fd).size / PAGE) * PAGE;
    ftruncateSync(fd, Math.max(0, full - leave));
  } finally {
    closeSync(fd);
  }
}

async function freeDisk(): Promise<void> {
  await rm(filler, { force: true });
}

/** Every file under knowledge/, hidden ones too (temp files are hidden). */
async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true, recursive: true })).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(cannotMount !== null)(`a full disk under the brain${cannotMount ? ` (skipped: ${cannotMount})` : ''}`, () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startService({ brainDir: mountPoint });
  });
  afterEach(freeDisk);
  afterAll(async () => {
    await service?.stop();
    // The service has closed every file it held (a rewritten note's replaced file included); should
    // the tmpfs still be busy a moment (a thread closing its files), the unmount is tried again.
    const unmounted = async () => {
      try {
        execFileSync('umount', [mountPoint], { stdio: 'pipe' });
        return true;
      } catch {
        return false;
      }
    };
    await within(5_000, unmounted).catch(() => execFileSync('umount', ['--lazy', mountPoint]));
    await rmdir(mountPoint);
  });

  const notePath = (name: string) => join(service.knowledge, `${name}.md`);
  const hasHit = async (query: string, path: string) => {
    const found = await service.post('/query', { query });
    return found.status === 200 && found.body.results.some((hit: { path: string }) => hit.path === path);
  };

  it("an append larger than the free space answers 507 naming what to do, and the note's bytes stay exactly as they were", async () => {
    expect((await service.post('/write', { filename: 'full/journal', content: '# Journal\n\nThe first entry.' })).status).toBe(201);
    const before = await readFile(notePath('full/journal'));
    fillLeaving(148 * 1024);

    const big = `${'An entry that does not fit on the disk. '.repeat(10_000)}`; // 400 KB
    // A plain append (O_APPEND: part of it lands before the disk is full), one that sets a field
    // (rewritten through a temp file), and a conditional one.
    const attempts = [
      { filename: 'full/journal', mode: 'append', content: big },
      { filename: 'full/journal', mode: 'append', content: big, status: 'draft' },
      { filename: 'full/journal', mode: 'append', content: big, expected_sha256: sha256(before) },
    ];
    for (const attempt of attempts) {
      const answer = await service.post('/write', attempt);
      expect(answer.status).toBe(507);
      expect(answer.body.error).toMatch(/^no space left on the brain's disk: full\/journal\.md was not written .*free space on the volume that holds the brain folder and retry$/);
      expect(answer.body.path).toBe('full/journal.md');
      expect((await readFile(notePath('full/journal'))).equals(before)).toBe(true);
    }
    expect(await filesUnder(service.knowledge)).toEqual(['full/journal.md']);

    await freeDisk();
    const appended = await service.post('/write', { filename: 'full/journal', mode: 'append', content: 'The second entry, once there was room.' });
    expect(appended.status).toBe(200);
    expect(await readFile(notePath('full/journal'), 'utf8')).toBe('# Journal\n\nThe first entry.\n\nThe second entry, once there was room.\n');
  });

  it('creates and overwrites that do not fit answer 507, leave the note as it was (or absent), and leave no temp file, however many fail', async () => {
    expect((await service.post('/write', { filename: 'full/kept', content: 'Kept as it was: idempotency keys.' })).status).toBe(201);
    const kept = await readFile(notePath('full/kept'));
    const present = await filesUnder(service.knowledge);
    fillLeaving(16 * 1024);

    const large = 'Too large for what is left of the disk. '.repeat(2_500); // 100 KB
    for (let i = 0; i < 20; i++) {
      const created = await service.post('/write', { filename: `full/new-${i}`, content: large });
      expect(created.status).toBe(507);
      expect(created.body.error).toContain(`no space left on the brain's disk: full/new-${i}.md was not written`);
      const overwritten = await service.post('/write', { filename: 'full/kept', mode: 'overwrite', content: large, title: `Try ${i}` });
      expect(overwritten.status).toBe(507);
      expect(overwritten.body.error).toContain("no space left on the brain's disk: full/kept.md was not written");
    }
    expect((await readFile(notePath('full/kept'))).equals(kept)).toBe(true);
    // Neither the notes refused nor any temp file (`.<name>.md.<uuid>.tmp`): what was there before, only.
    expect(await filesUnder(service.knowledge)).toEqual(present);
  });

  it('a note written while the index cannot grow answers success, and once the disk has room the index catches up and matches the disk', async () => {
    // One page free: enough for a small note's file, not for the index's next commit (a WAL frame
    // is larger than a page, so every commit needs at least one page more).
    fillLeaving(PAGE);
    const logged = service.logs().length;
    const loggedSince = () => service.logs().slice(logged);
    const landed = await service.post('/write', { filename: 'full/landed', content: 'Written while the index was full: quarantine flaky tests.' });
    expect(landed.status).toBe(201);
    expect(landed.body).toMatchObject({ path: 'full/landed.md', action: 'created' });
    expect(landed.body.sha256).toBe(sha256(await readFile(notePath('full/landed'))));
    // The index really could not take it: not found while the disk is full.
    expect(await hasHit('quarantine flaky', 'full/landed.md')).toBe(false);
    expect(loggedSince()).toContain('a written note could not be indexed yet');
    // The folder watch saw the new file too and could not index it either: what finds it below is
    // the brain catching up by itself, not the watch, a later write or an edit on disk.
    await within(5_000, async () => loggedSince().includes('failed to apply changes from disk'));

    await freeDisk();
    await within(15_000, () => hasHit('quarantine flaky', 'full/landed.md'));
    for (let i = 0; i < 5; i++) {
      const written = await service.post('/write', { filename: `full/after-${i}`, content: `Written once there was room: retry budget ${i}.` });
      expect(written.status).toBe(201);
    }
    const appended = await service.post('/write', { filename: 'full/landed', mode: 'append', content: 'Appended after: circuit breakers.', status: 'kept' });
    expect(appended.status).toBe(200);
    await within(5_000, () => hasHit('circuit breakers', 'full/landed.md'));

    // The index matches the disk: every note file listed, each with its file's hash, nothing more.
    const onDisk: Record<string, string> = {};
    for (const file of await filesUnder(service.knowledge)) onDisk[file] = sha256(await readFile(join(service.knowledge, file)));
    const listing = await service.get('/notes?limit=100');
    expect(listing.status).toBe(200);
    expect(Object.fromEntries(listing.body.notes.map((note: { path: string; sha256: string }) => [note.path, note.sha256]))).toEqual(onDisk);
    for (let i = 0; i < 5; i++) expect(await hasHit(`retry budget ${i}`, `full/after-${i}.md`)).toBe(true);
  });
});
