import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startService, within, type TestService } from './support/service.js';
import { GENEROUS_MS } from './support/wait.js';

let service: TestService;
beforeEach(async () => {
  service = await startService();
});
afterEach(async () => {
  await service.stop();
});

const paths = async (query: string) =>
  ((await service.post('/query', { query })).body.results as Array<{ path: string }>).map((r) => r.path);

describe('edits made on disk are searchable within 1 s, without a restart', () => {
  it('a note added by an editor', async () => {
    await writeFile(join(service.knowledge, 'added.md'), '---\ntitle: Added by hand\n---\nquokka habitats');
    await within(GENEROUS_MS, async () => (await paths('quokka')).includes('added.md'));
  });

  it('a note edited in place, and one saved the way editors do (write elsewhere, rename over)', async () => {
    await service.post('/write', { content: 'original wombat text', filename: 'edited' });
    await writeFile(join(service.knowledge, 'edited.md'), 'now about a platypus');
    await within(GENEROUS_MS, async () => (await paths('platypus')).includes('edited.md'));
    expect(await paths('wombat')).toEqual([]);

    await writeFile(join(service.knowledge, '.edited.md.swp'), 'now about an echidna');
    await rename(join(service.knowledge, '.edited.md.swp'), join(service.knowledge, 'edited.md'));
    await within(GENEROUS_MS, async () => (await paths('echidna')).includes('edited.md'));
    expect(await paths('platypus')).toEqual([]);
  });

  it('a note deleted, and a note renamed', async () => {
    await service.post('/write', { content: 'capybara notes', filename: 'gone' });
    await service.post('/write', { content: 'axolotl notes', filename: 'old-name' });
    await unlink(join(service.knowledge, 'gone.md'));
    await rename(join(service.knowledge, 'old-name.md'), join(service.knowledge, 'new-name.md'));
    await within(GENEROUS_MS, async () => (await paths('capybara')).length === 0);
    await within(GENEROUS_MS, async () => JSON.stringify(await paths('axolotl')) === '["new-name.md"]');
  });

  it('a new folder of notes (git pull), then the folder removed', async () => {
    await mkdir(join(service.knowledge, 'pulled', 'deep'), { recursive: true });
    await writeFile(join(service.knowledge, 'pulled', 'deep', 'one.md'), 'narwhal one');
    await writeFile(join(service.knowledge, 'pulled', 'two.md'), 'narwhal two');
    await within(GENEROUS_MS, async () => (await paths('narwhal')).length === 2);
    // a file added later in the new subfolder is seen too: the folder is now watched
    await writeFile(join(service.knowledge, 'pulled', 'deep', 'three.md'), 'narwhal three');
    await within(GENEROUS_MS, async () => (await paths('narwhal')).length === 3);
    await rm(join(service.knowledge, 'pulled'), { recursive: true });
    await within(GENEROUS_MS, async () => (await paths('narwhal')).length === 0);
  });

  it('hidden files and files that are not markdown are not indexed', async () => {
    await writeFile(join(service.knowledge, '.draft.md'), 'okapi hidden');
    await writeFile(join(service.knowledge, 'notes.txt'), 'okapi text');
    await writeFile(join(service.knowledge, 'visible.md'), 'okapi visible');
    await within(GENEROUS_MS, async () => (await paths('okapi')).length > 0);
    expect(await paths('okapi')).toEqual(['visible.md']);
  });
});

describe('at start the index is reconciled with the files', () => {
  it('changes made while the service was stopped are picked up, and only changed files are re-read', async () => {
    for (const name of ['keep', 'change', 'remove']) await service.post('/write', { content: `${name} lemur`, filename: name });
    const brainDir = service.brainDir;
    await service.close();
    await writeFile(join(brainDir, 'knowledge', 'change.md'), 'changed gibbon');
    await unlink(join(brainDir, 'knowledge', 'remove.md'));
    await writeFile(join(brainDir, 'knowledge', 'new.md'), 'new gibbon');

    const restarted = await import('./support/service.js').then((m) => m.startService({ brainDir }));
    try {
      const found = async (query: string) =>
        ((await restarted.post('/query', { query })).body.results as Array<{ path: string }>).map((r) => r.path).sort();
      expect(await found('lemur')).toEqual(['keep.md']);
      expect(await found('gibbon')).toEqual(['change.md', 'new.md']);
      const report = restarted.logs().split('\n').find((line) => line.includes('brain index ready'));
      expect(JSON.parse(report ?? '{}')).toMatchObject({ indexed: 2, removed: 1, unchanged: 1, notes: 3 });
    } finally {
      await restarted.stop();
      await rm(brainDir, { recursive: true, force: true });
    }
  });

  it('a corrupt index file is rebuilt from the notes', async () => {
    await service.post('/write', { content: 'serval', filename: 'cat' });
    const brainDir = service.brainDir;
    await service.close();
    await writeFile(join(brainDir, '.index', 'brain.sqlite'), 'this is not a database');
    await rm(join(brainDir, '.index', 'brain.sqlite-wal'), { force: true });
    const restarted = await import('./support/service.js').then((m) => m.startService({ brainDir }));
    try {
      expect((await restarted.post('/query', { query: 'serval' })).body.results[0].path).toBe('cat.md');
      expect(restarted.logs()).toContain('search index rebuilt from the notes');
    } finally {
      await restarted.stop();
      await rm(brainDir, { recursive: true, force: true });
    }
  });
});
