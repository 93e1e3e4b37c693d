/**
 * Content hashes and conditional writes: every note answer carries the SHA-256 of the note's file
 * as on disk (GET /notes/<path>, its ETag, search hits, write results), and a write that names the
 * hash it read (expected_sha256) changes the note only if it is still that version — else 409 with
 * the current hash, and not a byte changes. Through real HTTP, both brain clients and the MCP client.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrainRefused, HttpBrainClient, LocalBrainClient, type BrainClient } from '../src/brain/client.js';
import { snapshot, startService, useTestService, type TestService } from './support/service.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

/** What `sha256sum` says of a file. */
const sha256sum = (file: string) => execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];

let service: TestService;
useTestService((started) => (service = started));
const file = (path: string) => join(service.knowledge, path);

describe('sha256 on every answer about a note', () => {
  it('GET /notes/<path> (JSON and markdown, with ETag), search hits and the write result carry sha256sum of the file', async () => {
    const written = await service.post('/write', { content: 'Money is integer cents.\r\n', filename: 'money/cents', title: 'Cents' });
    expect(written.status).toBe(201);
    const expected = sha256sum(file('money/cents.md'));
    expect(written.body.sha256).toBe(expected);

    const json = await fetch(`${service.url}/notes/money/cents.md`);
    expect(json.headers.get('etag')).toBe(`"${expected}"`);
    expect(((await json.json()) as { sha256: string }).sha256).toBe(expected);
    const markdown = await fetch(`${service.url}/notes/money/cents`, { headers: { accept: 'text/markdown' } });
    expect(markdown.headers.get('etag')).toBe(`"${expected}"`);
    expect(await markdown.text()).toBe(await readFile(file('money/cents.md'), 'utf8'));

    const hits = (await service.post('/query', { query: 'cents' })).body.results;
    expect(hits).toEqual([expect.objectContaining({ path: 'money/cents.md', sha256: expected })]);
  });

  it('a note edited on disk is hashed as it is now, and a file over the indexed size is hashed whole', async () => {
    await writeFile(file('edited.md'), '---\ntitle: Edited\n---\nFirst words about quokkas.\n');
    // 5 MiB: past what the index reads of a note (a little over 4 MiB), the rest still hashed.
    const huge = `# Huge\n\nWombats dig burrows.\n${'filler text '.repeat(5 * 1024 * 1024 / 12)}\nthe very end differs`;
    await writeFile(file('huge.md'), huge);
    await service.brain.settled();
    await expect.poll(async () => (await service.post('/query', { query: 'quokkas' })).body.results[0]?.sha256, { timeout: 5000 }).toBe(sha256sum(file('edited.md')));
    await expect.poll(async () => (await service.post('/query', { query: 'wombats' })).body.results[0]?.sha256, { timeout: 5000 }).toBe(sha256sum(file('huge.md')));

    await writeFile(file('edited.md'), '---\ntitle: Edited\n---\nNow about quokkas and numbats.\n');
    await expect.poll(async () => (await service.post('/query', { query: 'quokkas' })).body.results[0]?.sha256, { timeout: 5000 }).toBe(sha256sum(file('edited.md')));
    expect((await service.get('/notes/edited.md')).body.sha256).toBe(sha256sum(file('edited.md')));
  });
});

describe('POST /write with expected_sha256', () => {
  const note = { content: 'Retry with jitter.', filename: 'api/retry', title: 'Retry' };

  it('a stale hash answers 409 with the current sha256 and leaves the note byte-identical; the current hash writes', async () => {
    const first = await service.post('/write', note);
    const stale = first.body.sha256 as string;
    // Someone else changes the note after we read it.
    const other = await service.post('/write', { ...note, content: 'Retry with full jitter.', mode: 'overwrite', expected_sha256: stale });
    expect(other.status).toBe(200);
    const current = sha256sum(file('api/retry.md'));
    expect(other.body.sha256).toBe(current);

    const before = await snapshot(service.knowledge);
    for (const mode of ['overwrite', 'append']) {
      const refused = await service.post('/write', { ...note, content: 'My edit.', mode, expected_sha256: stale });
      expect(refused.status).toBe(409);
      expect(refused.body).toEqual({
        error: `api/retry.md changed since you read it (sha256 ${stale}, now ${current}); read it again and retry`,
        path: 'api/retry.md',
        sha256: current,
      });
    }
    expect(await snapshot(service.knowledge)).toEqual(before);
    expect((await service.post('/query', { query: 'edit' })).body.results).toEqual([]);

    // Read again, retry with what was read (any case of hex): written, and the answer chains on.
    const read = await service.get('/notes/api/retry.md');
    const appended = await service.post('/write', { content: 'My edit.', filename: 'api/retry', mode: 'append', expected_sha256: read.body.sha256.toUpperCase() });
    expect(appended.status).toBe(200);
    expect(appended.body).toEqual({ path: 'api/retry.md', action: 'appended', sha256: sha256sum(file('api/retry.md')) });
    const text = await readFile(file('api/retry.md'), 'utf8');
    expect(text).toBe('---\ntitle: Retry\n---\nRetry with full jitter.\n\nMy edit.\n');
    expect(text).not.toContain('expected_sha256');
    const chained = await service.post('/write', { content: 'Final.', filename: 'api/retry', mode: 'overwrite', expected_sha256: appended.body.sha256 });
    expect(chained.status).toBe(200);
    expect(await readFile(file('api/retry.md'), 'utf8')).toBe('Final.');
  });

  it('a note deleted since it was read answers 409 with sha256 null and is not created again', async () => {
    const written = await service.post('/write', note);
    execFileSync('rm', [file('api/retry.md')]);
    const refused = await service.post('/write', { ...note, mode: 'overwrite', expected_sha256: written.body.sha256 });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ path: 'api/retry.md', sha256: null, error: expect.stringContaining('no longer exists') });
    expect(await snapshot(service.knowledge)).toEqual({ '/api/': 'dir' });
  });

  it('a file another process rewrote with the same bytes still matches: the hash is of the content, not the file stamp', async () => {
    const written = await service.post('/write', note);
    const bytes = await readFile(file('api/retry.md'));
    await writeFile(file('api/retry.md'), bytes);
    const again = await service.post('/write', { ...note, content: 'Second.', mode: 'overwrite', expected_sha256: written.body.sha256 });
    expect(again.status).toBe(200);
    expect(again.body.sha256).toBe(sha256sum(file('api/retry.md')));
    expect(await readFile(file('api/retry.md'), 'utf8')).toBe('---\ntitle: Retry\n---\nSecond.');
  });

  it.each([
    ['with mode create', { mode: 'create', expected_sha256: 'a'.repeat(64) }, /expected_sha256 applies to mode overwrite or append/],
    ['that is too short', { mode: 'overwrite', expected_sha256: 'abc' }, /^expected_sha256 must be 64 hexadecimal characters/],
    ['that is not hex', { mode: 'overwrite', expected_sha256: 'g'.repeat(64) }, /^expected_sha256 must be 64 hexadecimal characters/],
    ['that is a number', { mode: 'overwrite', expected_sha256: 7 }, /^expected_sha256 must be a string/],
  ])('an expected_sha256 %s is refused with 400 saying why, and nothing is written', async (_what, extra, message) => {
    const refused = await service.post('/write', { content: 'x', filename: 'n', ...extra });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(message);
    expect(await snapshot(service.knowledge)).toEqual({});
  });

  it('both brain clients pass the 409 on as BrainRefused with the current sha256', async () => {
    const clients: BrainClient[] = [new LocalBrainClient(service.brain), new HttpBrainClient(service.url, undefined)];
    for (const [i, client] of clients.entries()) {
      const written = await client.write({ content: 'v1', filename: `c${i}` });
      const current = (await client.write({ content: 'v2', filename: `c${i}`, mode: 'overwrite' })).sha256;
      const refusal = await client.write({ content: 'v3', filename: `c${i}`, mode: 'overwrite', expected_sha256: written.sha256 }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(BrainRefused);
      expect(refusal).toMatchObject({ status: 409, path: `c${i}.md`, sha256: current });
      expect((await client.read(`c${i}`)).sha256).toBe(current);
      expect(await client.readMarkdown(`c${i}.md`)).toEqual({ path: `c${i}.md`, text: 'v2', sha256: current });
      await expect(client.read('none')).rejects.toMatchObject({ status: 404 });
    }
  });
});

describe('the index from before content hashes', () => {
  it('is rebuilt from the files at start, so hits carry sha256 at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'supervisor-old-index-'));
    await mkdir(join(dir, 'knowledge'), { recursive: true });
    await mkdir(join(dir, '.index'), { recursive: true });
    await writeFile(join(dir, 'knowledge', 'old.md'), '# Old note\n\nAbout capybaras.\n');
    // The previous schema (version 2): no sha256 column.
    const db = new Database(join(dir, '.index', 'brain.sqlite'));
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, title TEXT NOT NULL); PRAGMA user_version = 2;');
    db.close();
    const restarted = await startService({ brainDir: dir });
    try {
      const hits = (await restarted.post('/query', { query: 'capybaras' })).body.results;
      expect(hits).toEqual([expect.objectContaining({ path: 'old.md', sha256: sha256sum(join(dir, 'knowledge', 'old.md')) })]);
      expect(restarted.logs()).toContain('index schema 2 is not 4');
    } finally {
      await restarted.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('brain_write through the MCP client', () => {
  let sup: TestSupervisor;
  beforeAll(async () => {
    sup = await startTestSupervisor();
  });
  afterAll(async () => {
    await sup.stop();
  });

  type Text = { type: string; text: string };

  it('a stale expected_sha256 is an error naming the current sha256 and changes nothing; the current one writes', async () => {
    const client = await sup.connect();
    const created = await client.callTool({ name: 'brain_write', arguments: { content: 'Flaky tests are quarantined.', filename: 'testing/flaky' } });
    const first = (created.structuredContent as { sha256: string }).sha256;
    expect((created.content as Text[])[0]?.text).toBe(`Note created: testing/flaky.md (sha256 ${first})`);
    const path = join(sup.brainDir, 'knowledge', 'testing', 'flaky.md');
    await sup.deps.brain.write({ content: 'Flaky tests are fixed within a day.', filename: 'testing/flaky', mode: 'overwrite' });
    const current = sha256sum(path);
    const before = await readFile(path);

    const stale = await client.callTool({ name: 'brain_write', arguments: { content: 'Mine.', filename: 'testing/flaky', mode: 'overwrite', expected_sha256: first } });
    expect(stale.isError).toBe(true);
    expect((stale.content as Text[])[0]?.text).toContain(`testing/flaky.md changed since you read it (sha256 ${first}, now ${current}); read it again and retry`);
    expect(await readFile(path)).toEqual(before);

    const fresh = await client.callTool({ name: 'brain_write', arguments: { content: 'Mine.', filename: 'testing/flaky', mode: 'overwrite', expected_sha256: current } });
    expect(fresh.isError).toBeFalsy();
    expect(fresh.structuredContent).toEqual({ path: 'testing/flaky.md', action: 'overwritten', sha256: sha256sum(path) });
    const found = await client.callTool({ name: 'brain_query', arguments: { query: 'mine' } });
    expect((found.structuredContent as { results: unknown[] }).results).toEqual([expect.objectContaining({ path: 'testing/flaky.md', sha256: sha256sum(path) })]);
  });
});
