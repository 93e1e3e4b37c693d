/**
 * GET /notes lists the notes by path, a page at a time, optionally under a path prefix, each with
 * its sha256; and the brain tells listeners when notes change (API writes and edits on disk), in
 * the embedded client (the Brain's own events) and in team mode (polling GET /ready's generation).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpBrainClient, LocalBrainClient, type BrainClient } from '../src/brain/client.js';
import { rawGet, startService, useTestService, type TestService } from './support/service.js';

const sha256sum = (file: string) => execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let service: TestService;
useTestService((started) => (service = started));

/** Every page of GET /notes with `query`, following `next`; fails on a page over `limit`. */
async function allPages(query: Record<string, string>, headers: Record<string, string> = {}): Promise<Array<{ path: string; title: string; sha256: string }>> {
  const notes = [];
  let after: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const params = new URLSearchParams({ ...query, ...(after === null ? {} : { after }) });
    const page = await service.get(`/notes?${params.toString()}`, headers);
    expect(page.status).toBe(200);
    expect(page.body.notes.length).toBeLessThanOrEqual(Number(query.limit ?? 100));
    notes.push(...page.body.notes);
    after = page.body.next;
    if (after === null) return notes;
  }
  throw new Error('the listing never ended');
}

describe('GET /notes', () => {
  it('pages cover every note exactly once, in path order, with the sha256 of each file; prefixes filter by path', async () => {
    const paths: string[] = [];
    for (let i = 0; i < 23; i++) paths.push(`testing/flaky-${String(i).padStart(2, '0')}.md`);
    for (let i = 0; i < 9; i++) paths.push(`testing/fixtures-${i}.md`, `api/retry-${i}.md`);
    paths.push('testing.md', 'testingx/other.md', 'top.md', 'ünïcode/ß.md');
    for (const path of paths.slice(0, 20)) expect((await service.post('/write', { content: `# Note ${path}\n\nbody`, filename: path })).status).toBe(201);
    // The rest straight on disk, as an editor or git pull would.
    for (const path of paths.slice(20)) {
      await mkdir(join(service.knowledge, path, '..'), { recursive: true });
      await writeFile(join(service.knowledge, path), `---\ntitle: Disk ${path}\n---\nbody\n`);
    }
    await expect.poll(async () => (await service.get('/ready')).body.notes, { timeout: 5000 }).toBe(paths.length);

    const listed = await allPages({ limit: '7' });
    expect(listed.map((n) => n.path)).toEqual([...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const note of listed) expect(note.sha256, note.path).toBe(sha256sum(join(service.knowledge, note.path)));
    expect(listed.find((n) => n.path === 'top.md')?.title).toBe('Disk top.md');

    const under = async (prefix: string) => (await allPages({ prefix, limit: '4' })).map((n) => n.path);
    expect(await under('testing/')).toEqual(paths.filter((p) => p.startsWith('testing/')).sort());
    expect(await under('testing/fla')).toEqual(paths.filter((p) => p.startsWith('testing/fla')).sort());
    expect(await under('testing')).toEqual(paths.filter((p) => p.startsWith('testing')).sort());
    expect(await under('ünïcode/')).toEqual(['ünïcode/ß.md']);
    expect(await under('nothing/')).toEqual([]);
    // The prefix percent-encoded, as any URL may carry it, is the same prefix.
    expect((await service.get('/notes?prefix=testing%2Ffla&limit=1000')).body.notes).toHaveLength(23);
    // A cursor before the prefix starts at the prefix; one past it ends the listing.
    expect((await service.get('/notes?prefix=testing/&after=a&limit=1')).body.notes[0].path).toBe('testing/fixtures-0.md');
    expect((await service.get('/notes?prefix=testing/&after=zzz')).body).toEqual({ notes: [], next: null });
    // Default page: 100.
    expect((await service.get('/notes')).body).toEqual({ notes: listed, next: null });
  });

  it('a note removed or written between two pages does not make the next page repeat or skip the others', async () => {
    for (let i = 0; i < 10; i++) await service.post('/write', { content: 'x', filename: `n${i}` });
    const first = await service.get('/notes?limit=5');
    expect(first.body.next).toBe('n4.md');
    await unlink(join(service.knowledge, 'n1.md'));
    await service.post('/write', { content: 'x', filename: 'n0a' });
    await expect.poll(async () => (await service.get('/ready')).body.notes, { timeout: 5000 }).toBe(10);
    const second = await service.get(`/notes?limit=5&after=${first.body.next}`);
    expect(second.body.notes.map((n: { path: string }) => n.path)).toEqual(['n5.md', 'n6.md', 'n7.md', 'n8.md', 'n9.md']);
    expect(second.body.next).toBeNull();
  });

  it.each([
    ['limit=0', 'limit must be at least 1'],
    ['limit=1001', 'limit must be at most 1000'],
    ['limit=abc', 'limit must be a number'],
    ['limit=2.5', 'limit must be a whole number'],
    ['prefix=../', 'prefix must not contain . or .. segments'],
    ['prefix=%2e%2e%2F', 'prefix must not contain . or .. segments'],
    ['prefix=a/../../', 'prefix must not contain . or .. segments'],
    ['prefix=/etc', 'prefix must be relative to knowledge/, folders separated by /'],
    ['prefix=a%5Cb', 'prefix must be relative to knowledge/, folders separated by /'],
    ['prefix=a%00b', 'prefix must not contain control characters'],
    [`prefix=${'a'.repeat(1025)}`, 'prefix must be at most 1024 bytes'],
    // 513 characters, 1026 bytes of UTF-8: counted in bytes, like note names.
    [`after=${encodeURIComponent('é'.repeat(513))}`, 'after must be at most 1024 bytes'],
    ['prefix=a&prefix=b', 'prefix must be a string'],
  ])('a bad parameter is refused with 400 naming it: %#', async (query, message) => {
    const answer = await rawGet(service.url, `/notes?${query}`);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ error: message });
  });

  it('lists only notes of the brain: nothing outside knowledge/, behind a symlink, hidden, or not markdown', async () => {
    await service.post('/write', { content: 'inside', filename: 'in/note' });
    await writeFile(join(service.brainDir, 'secret.md'), 'outside knowledge/');
    await mkdir(join(service.brainDir, 'elsewhere'));
    await writeFile(join(service.brainDir, 'elsewhere', 'leak.md'), 'outside');
    await symlink(join(service.brainDir, 'elsewhere'), join(service.knowledge, 'linked'));
    await writeFile(join(service.knowledge, '.hidden.md'), 'hidden');
    await writeFile(join(service.knowledge, 'in', 'data.txt'), 'not a note');
    await service.brain.reconcile();
    for (const prefix of ['', 'linked', 'linked/', '.', 'in/', '%2E%2E', '..%2F', 'elsewhere', 'secret']) {
      const answer = await rawGet(service.url, `/notes?prefix=${prefix}`);
      const paths = answer.status === 200 ? (JSON.parse(answer.text) as { notes: Array<{ path: string }> }).notes.map((n) => n.path) : [];
      expect(paths.every((path) => path === 'in/note.md'), `prefix ${prefix}: ${paths.join(', ')}`).toBe(true);
    }
    expect((await service.get('/notes')).body.notes.map((n: { path: string }) => n.path)).toEqual(['in/note.md']);
  });

  it('is behind the token and the Host guard like the other note routes', async () => {
    const guarded = await startService({ token: 'listing-token-0123456789abcdef' });
    try {
      expect((await fetch(`${guarded.url}/notes`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/notes?prefix=x`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(`${guarded.url}/notes`, { headers: { authorization: 'Bearer listing-token-0123456789abcdef' } });
      expect(ok.status).toBe(200);
      const client = new HttpBrainClient(guarded.url, 'listing-token-0123456789abcdef');
      expect(await client.list({})).toEqual({ notes: [], next: null });
    } finally {
      await guarded.stop();
    }
    const foreign = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request(`${service.url}/notes`, { headers: { host: 'evil.example' } }, (res) => resolve(res.statusCode ?? 0));
        req.on('error', reject);
        req.end();
      }, reject);
    });
    expect(foreign).toBe(403);
  });

  it('both clients list the same pages, and refuse bad requests with the same line', async () => {
    for (let i = 0; i < 5; i++) await service.post('/write', { content: 'x', filename: `d/n${i}` });
    const clients: BrainClient[] = [new LocalBrainClient(service.brain), new HttpBrainClient(service.url, undefined)];
    const [local, http] = await Promise.all(clients.map((c) => c.list({ prefix: 'd/', limit: 2, after: 'd/n1.md' })));
    expect(local).toEqual({ notes: [expect.objectContaining({ path: 'd/n2.md' }), expect.objectContaining({ path: 'd/n3.md' })], next: 'd/n3.md' });
    expect(http).toEqual(local);
    for (const client of clients) await expect(client.list({ limit: 5000 })).rejects.toMatchObject({ status: 400, message: 'limit must be at most 1000' });
  });
});

describe('onChange: listeners hear of notes created, changed or removed', () => {
  /** Subscribes and counts calls; `calls` lists when each came. */
  function listen(client: BrainClient) {
    const calls: number[] = [];
    const stop = client.onChange(() => calls.push(Date.now()));
    return { calls, stop };
  }

  it.each([
    ['the in-process client', (s: TestService) => new LocalBrainClient(s.brain)],
    ['the HTTP client (team mode)', (s: TestService) => new HttpBrainClient(s.url, undefined, 2000, 200)],
  ])('%s: an API write, an edit on disk and a removal each call the listener; a touch does not; unsubscribe stops it', async (_mode, makeClient) => {
    const client = makeClient(service);
    const { calls, stop } = listen(client);
    // Team mode first learns the current generation, then compares.
    await sleep(400);
    expect(calls).toHaveLength(0);

    await service.post('/write', { content: 'first', filename: 'n' });
    await expect.poll(() => calls.length, { timeout: 5000 }).toBe(1);
    await writeFile(join(service.knowledge, 'n.md'), 'edited in an editor');
    await expect.poll(() => calls.length, { timeout: 5000 }).toBe(2);
    // The same bytes with a new mtime: no note changed.
    await utimes(join(service.knowledge, 'n.md'), new Date(), new Date(Date.now() + 5000));
    await service.brain.reconcile();
    await sleep(1500);
    expect(calls).toHaveLength(2);
    await unlink(join(service.knowledge, 'n.md'));
    await expect.poll(() => calls.length, { timeout: 5000 }).toBe(3);

    stop();
    await service.post('/write', { content: 'after unsubscribe', filename: 'later' });
    await sleep(1500);
    expect(calls).toHaveLength(3);
  });

  it('a burst of writes is one call, and calls come at most about once a second', async () => {
    const client = new LocalBrainClient(service.brain);
    const { calls, stop } = listen(client);
    await Promise.all(Array.from({ length: 20 }, (_, i) => service.post('/write', { content: `burst ${i}`, filename: `b${i}` })));
    await expect.poll(() => calls.length, { timeout: 5000 }).toBeGreaterThan(0);
    for (let i = 0; i < 6; i++) {
      await service.post('/write', { content: `slow ${i}`, filename: `s${i}` });
      await sleep(300);
    }
    await sleep(1200);
    stop();
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < calls.length; i++) expect(calls[i]! - calls[i - 1]!).toBeGreaterThanOrEqual(950);
  });

  it("GET /ready's generation changes with the notes and at a restart, and not on a search", async () => {
    const generation = async (s: TestService) => (await s.get('/ready')).body.generation as string;
    const start = await generation(service);
    expect(start).toMatch(/^\S+$/);
    await service.post('/query', { query: 'anything' });
    expect(await generation(service)).toBe(start);
    await service.post('/write', { content: 'x', filename: 'g' });
    const afterWrite = await generation(service);
    expect(afterWrite).not.toBe(start);

    const dir = service.brainDir;
    const restarted = await startService({ brainDir: join(dir) });
    try {
      // The same notes, another run of the service: another generation.
      expect(await generation(restarted)).not.toBe(afterWrite);
    } finally {
      await restarted.close();
    }
  });
});
