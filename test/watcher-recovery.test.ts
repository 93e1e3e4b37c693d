/**
 * Issue 8, item 14: folders replaced under the watcher (a checkout, rsync, rm -r then mkdir) are
 * watched again by themselves, and /ready tells the truth while knowledge/ is missing.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
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

const finds = (word: string) => async () => ((await service.post('/query', { query: word })).body.results ?? []).length > 0;

/**
 * Waits until the watcher sees `dir` again: a probe note written there is indexed. A note written
 * after that is found through the watch, not through a rescan that happened to come later.
 */
async function watched(dir: string, probe: string): Promise<void> {
  await writeFile(join(dir, `${probe}.md`), `${probe} marks the watch\n`);
  await within(GENEROUS_MS, finds(probe));
}

describe('folders replaced under the watcher', () => {
  it('a subfolder deleted and recreated at once is watched again', async () => {
    expect((await service.post('/write', { content: 'first note', filename: 'area/first' })).status).toBe(201);
    await within(GENEROUS_MS, finds('first'));
    // As a checkout does: the folder goes and comes back within a few milliseconds.
    await rm(join(service.knowledge, 'area'), { recursive: true });
    await mkdir(join(service.knowledge, 'area'));
    await watched(join(service.knowledge, 'area'), 'probeareaword');
    await writeFile(join(service.knowledge, 'area', 'later.md'), '# Later\nwombatword arrives after the swap\n');
    await within(GENEROUS_MS, finds('wombatword'));
  });

  it('knowledge/ deleted: /ready says why with 503, /write recreates it, and notes added later are indexed', async () => {
    expect((await service.post('/write', { content: 'numbat note', filename: 'numbat' })).status).toBe(201);
    await rm(service.knowledge, { recursive: true });

    const ready = await service.get('/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.reason).toMatch(/knowledge\/ folder is missing/);
    expect(JSON.stringify(ready.body)).not.toContain(service.brainDir);
    await within(GENEROUS_MS, async () => !(await finds('numbat')()));

    const written = await service.post('/write', { content: 'bilby note', filename: 'bilby' });
    expect(written.status).toBe(201);
    expect((await service.get('/ready')).status).toBe(200);
    await within(GENEROUS_MS, finds('bilby'));

    await watched(service.knowledge, 'probebilbyword');
    await writeFile(join(service.knowledge, 'quoll.md'), 'quollword written by hand\n');
    await within(GENEROUS_MS, finds('quollword'));
  });

  it('knowledge/ deleted and made again by someone else: notes added after it reappears are indexed', async () => {
    await rm(service.knowledge, { recursive: true });
    await within(GENEROUS_MS, async () => (await service.get('/ready')).status === 503);
    await mkdir(service.knowledge);
    await within(GENEROUS_MS, async () => (await service.get('/ready')).status === 200);
    await watched(service.knowledge, 'probedingoword');
    await mkdir(join(service.knowledge, 'deep'));
    await writeFile(join(service.knowledge, 'deep', 'dingo.md'), 'dingoword from a restored brain\n');
    await within(GENEROUS_MS, finds('dingoword'));
  });
});
