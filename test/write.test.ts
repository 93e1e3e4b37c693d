import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshot, startService, type TestService } from './support/service.js';

let service: TestService;
beforeEach(async () => {
  service = await startService();
});
afterEach(async () => {
  await service.stop();
});

const note = (path: string) => readFile(join(service.knowledge, path), 'utf8');
/** What `sha256sum` says of the note's file. */
const fileSha = async (path: string) => createHash('sha256').update(await readFile(join(service.knowledge, path))).digest('hex');

describe('POST /write', () => {
  it('stores a note with frontmatter from the fields and makes it searchable before answering', async () => {
    const written = await service.post('/write', {
      content: 'Back off exponentially with jitter when an upstream answers 429.',
      title: 'Retry with backoff',
      type: 'pattern',
      domain: 'api',
      tags: ['http', 'retry'],
    });
    expect(written).toEqual({ status: 201, body: { path: 'retry-with-backoff.md', action: 'created', sha256: await fileSha('retry-with-backoff.md') } });
    expect(await note('retry-with-backoff.md')).toBe(
      '---\ntitle: Retry with backoff\ntype: pattern\ndomain: api\ntags:\n  - http\n  - retry\n---\n' +
        'Back off exponentially with jitter when an upstream answers 429.',
    );
    const found = await service.post('/query', { query: 'jitter' });
    expect(found.status).toBe(200);
    expect(found.body.results).toEqual([
      {
        path: 'retry-with-backoff.md',
        title: 'Retry with backoff',
        excerpt: 'Back off exponentially with jitter when an upstream answers 429.',
        score: expect.any(Number),
        sha256: await fileSha('retry-with-backoff.md'),
      },
    ]);
  });

  it('a second write to the same filename answers 409 with the path and leaves the first note intact', async () => {
    await service.post('/write', { content: 'first version', filename: 'decisions/db' });
    const before = await snapshot(service.knowledge);
    const second = await service.post('/write', { content: 'second version', filename: 'decisions/db.md' });
    expect(second.status).toBe(409);
    expect(second.body.path).toBe('decisions/db.md');
    expect(second.body.error).toMatch(/already exists at decisions\/db\.md.*overwrite.*append/);
    expect(await snapshot(service.knowledge)).toEqual(before);
    expect((await service.post('/query', { query: 'second' })).body.results).toEqual([]);
  });

  it('a note without a filename is named from its title, its heading, or the date', async () => {
    const byTitle = await service.post('/write', { content: 'x', title: 'Ünïcode & Symbols: OK?' });
    expect(byTitle.body.path).toBe('unicode-symbols-ok.md');
    const byHeading = await service.post('/write', { content: '# Flaky tests\n\nquarantine them' });
    expect(byHeading.body.path).toBe('flaky-tests.md');
    const byDate = await service.post('/write', { content: 'no title at all' });
    expect(byDate.body.path).toMatch(/^note-\d{4}-\d{2}-\d{2}-\d{6}-[a-z0-9]+\.md$/);
    // the same title again is the same note: a conflict, not a silent second copy
    expect((await service.post('/write', { content: 'y', title: 'Unicode symbols ok' })).status).toBe(409);
  });

  it('overwrite replaces the note and the new frontmatter round-trips byte for byte', async () => {
    await service.post('/write', { content: 'old body', filename: 'n', title: 'Old', tags: 'a, b' });
    const content = [
      '---',
      '# a comment the team keeps',
      'title: "New: quoted title"',
      'owner: platform-team',
      'created: 2024-03-01',
      'links:',
      '  - see: other.md',
      '    why: context',
      'tags: [x, y]',
      '---',
      '',
      'New body.',
      '',
    ].join('\n');
    const result = await service.post('/write', { content, filename: 'n.md', mode: 'overwrite' });
    expect(result).toEqual({ status: 200, body: { path: 'n.md', action: 'overwritten', sha256: await fileSha('n.md') } });
    expect(await note('n.md')).toBe(content);
    const read = await service.get('/notes/n.md');
    expect(read.body).toMatchObject({
      title: 'New: quoted title',
      tags: ['x', 'y'],
      frontmatter: { owner: 'platform-team', created: '2024-03-01', links: [{ see: 'other.md', why: 'context' }] },
      body: '\nNew body.\n',
    });
    expect((await service.post('/query', { query: 'old' })).body.results).toEqual([]);
  });

  it('fields given with content that has frontmatter replace only those keys', async () => {
    const content = '---\n# keep me\nowner: me\ntype: draft\n---\nbody\n';
    await service.post('/write', { content, filename: 'f', type: 'decision', reviewed: true });
    expect(await note('f.md')).toBe('---\n# keep me\nowner: me\ntype: decision\nreviewed: true\n---\nbody\n');
  });

  it('append adds the new text after the note, keeping its frontmatter, and creates a missing note', async () => {
    const created = await service.post('/write', { content: 'Line one.', filename: 'log', mode: 'append', title: 'Log' });
    expect(created).toEqual({ status: 201, body: { path: 'log.md', action: 'created', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    const appended = await service.post('/write', { content: 'Line two.', filename: 'log', mode: 'append' });
    expect(appended).toEqual({ status: 200, body: { path: 'log.md', action: 'appended', sha256: await fileSha('log.md') } });
    expect(await note('log.md')).toBe('---\ntitle: Log\n---\nLine one.\n\nLine two.\n');
    expect((await service.post('/query', { query: 'two' })).body.results[0].path).toBe('log.md');
  });

  it('other keys of the body become frontmatter keys, as given', async () => {
    await service.post('/write', { content: 'b', filename: 'k', source: 'retrospective', confidence: 0.8, refs: ['a', 'b'] });
    expect(await note('k.md')).toBe('---\nsource: retrospective\nconfidence: 0.8\nrefs:\n  - a\n  - b\n---\nb');
  });

  it('leaves no temporary files behind', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => service.post('/write', { content: `n${i}`, filename: `t${i}` })));
    const files = await readdir(service.knowledge);
    expect(files.filter((f) => f.startsWith('.'))).toEqual([]);
    expect(files).toHaveLength(10);
  });
});

describe('GET /notes/<path>', () => {
  it('returns the note as JSON, or as markdown when asked', async () => {
    await service.post('/write', { content: '# Heading title\n\ntext', filename: 'sub/dir/n' });
    const json = await service.get('/notes/sub/dir/n.md');
    expect(json.body).toEqual({
      path: 'sub/dir/n.md',
      title: 'Heading title',
      type: null,
      domain: null,
      tags: [],
      frontmatter: {},
      body: '# Heading title\n\ntext',
      sha256: await fileSha('sub/dir/n.md'),
    });
    const markdown = await service.get('/notes/sub/dir/n.md', { accept: 'text/markdown' });
    expect(markdown.text).toBe('# Heading title\n\ntext');
  });

  it('answers 404 for a note that does not exist', async () => {
    const missing = await service.get('/notes/nope.md');
    expect(missing).toMatchObject({ status: 404, body: { error: 'no note at nope.md' } });
  });
});

describe('health and readiness', () => {
  it('/health answers ok and /ready reports the number of notes', async () => {
    await service.post('/write', { content: 'x', filename: 'a' });
    expect((await service.get('/health')).body).toEqual({ status: 'ok' });
    expect(await service.get('/ready')).toMatchObject({ status: 200, body: { status: 'ready', notes: 1 } });
  });
});
