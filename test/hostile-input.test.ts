import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_NOTE_READ_BYTES } from '../ingestion/note-files.js';
import { rawGet, snapshot, startService, within, type TestService } from './support/service.js';
import { GENEROUS_MS } from './support/wait.js';

let service: TestService;
let outside: string;
beforeEach(async () => {
  service = await startService();
  outside = await mkdtemp(join(tmpdir(), 'supervisor-outside-'));
  await writeFile(join(outside, 'target.md'), 'outside, must stay as it is');
  await service.post('/write', { content: 'an existing note', filename: 'existing' });
});
afterEach(async () => {
  await service.stop();
  await rm(outside, { recursive: true, force: true });
});

const HOSTILE_NAMES: Array<[string, RegExp]> = [
  ['../escape', /\.\. segments/],
  ['a/../../escape', /\.\. segments/],
  ['./here', /\. or \.\. segments/],
  ['/etc/passwd', /relative to knowledge/],
  ['C:\\Windows\\x', /backslash/],
  ['a\\..\\..\\b', /backslash/],
  ['~/notes', /relative to knowledge/],
  ['.hidden', /hidden/],
  ['notes/.git/config', /hidden/],
  ['nul\u0000byte', /control character/],
  ['line\nbreak', /control character/],
  ['esc\u001b[31m', /control character/],
  ['a//b', /empty folder name/],
  ['trailing/', /empty folder name/],
  ['.md', /hidden/],
  ['folder/.md', /hidden/],
  [' spaced', /space/],
  ['x'.repeat(300), /too long/],
  ['', /empty/],
];

describe('hostile filenames', () => {
  it.each(HOSTILE_NAMES)('write to %j is refused with 400 and the brain is unchanged', async (filename, reason) => {
    const before = await snapshot(service.brainDir);
    const response = await service.post('/write', { content: 'payload', filename, mode: 'overwrite' });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(reason);
    expect(await snapshot(service.brainDir)).toEqual(before);
    expect(await readFile(join(outside, 'target.md'), 'utf8')).toBe('outside, must stay as it is');
  });

  it('a folder symlink pointing out of the brain is not written through', async () => {
    await symlink(outside, join(service.knowledge, 'linked'));
    const before = await snapshot(service.brainDir);
    for (const mode of ['create', 'overwrite', 'append']) {
      const response = await service.post('/write', { content: 'payload', filename: 'linked/target.md', mode });
      expect(response).toMatchObject({ status: 400, body: { error: expect.stringMatching(/symbolic link/) } });
    }
    expect(await snapshot(service.brainDir)).toEqual(before);
    expect(await snapshot(outside)).toEqual({ '/target.md': 'outside, must stay as it is' });
  });

  it('a note that is a symlink to a file outside is neither overwritten, appended to nor read', async () => {
    await symlink(join(outside, 'target.md'), join(service.knowledge, 'alias.md'));
    for (const mode of ['overwrite', 'append']) {
      const response = await service.post('/write', { content: 'payload', filename: 'alias.md', mode });
      expect(response.status).toBe(400);
    }
    expect((await service.get('/notes/alias.md')).status).toBe(400);
    expect(await readFile(join(outside, 'target.md'), 'utf8')).toBe('outside, must stay as it is');
  });

  it('reading a note refuses traversal, encoded or not', async () => {
    const paths = ['/notes/..%2f..%2fetc%2fpasswd', '/notes/%2e%2e/secret.md', '/notes/../../etc/passwd', '/notes/.index/brain.sqlite', '/notes/a%00b'];
    for (const path of paths) {
      // sent as written: fetch would resolve the dots itself before the server saw them
      const response = await rawGet(service.url, path);
      expect(response.status, path).toBe(400);
      expect(JSON.parse(response.text).error, path).toMatch(/^bad filename/);
    }
  });

  it('the index and its folder are not reachable as notes', async () => {
    await mkdir(join(service.knowledge, 'sub'), { recursive: true });
    const response = await service.post('/write', { content: 'x', filename: 'sub/../../.index/brain' });
    expect(response.status).toBe(400);
  });
});

describe('bad requests change nothing', () => {
  const cases: Array<[string, string, unknown, number, RegExp]> = [
    ['malformed JSON', '/write', '{"content": "x",', 400, /malformed JSON/],
    ['a body that is not an object', '/write', '["content"]', 400, /JSON object/],
    ['missing content', '/write', { filename: 'x' }, 400, /^content is required$/],
    ['empty content', '/write', { content: '   ' }, 400, /^content must not be empty$/],
    ['content that is not a string', '/write', { content: 42 }, 400, /^content must be a string$/],
    ['an unknown mode', '/write', { content: 'x', mode: 'replace' }, 400, /^mode must be one of create, overwrite, append$/],
    ['tags of the wrong type', '/write', { content: 'x', tags: 3 }, 400, /^tags must be a list/],
    ['a title with a line break', '/write', { content: 'x', title: 'a\nb' }, 400, /^title must not contain control/],
    ['an unusable frontmatter key', '/write', { content: 'x', 'bad key': 1 }, 400, /bad key is not a usable frontmatter key/],
    ['JavaScript frontmatter', '/write', { content: '---js\n{title: "x"}\n---\nbody' }, 400, /not YAML/],
    ['broken YAML frontmatter', '/write', { content: '---\ntitle: [unclosed\n---\nbody' }, 400, /not valid YAML/],
    ['missing query', '/query', {}, 400, /^query is required$/],
    ['empty query', '/query', { query: '' }, 400, /^query must not be empty$/],
    ['a limit over 50', '/query', { query: 'x', limit: 51 }, 400, /^limit must be at most 50$/],
    ['a fractional limit', '/query', { query: 'x', limit: 2.5 }, 400, /^limit must be a whole number$/],
  ];

  it.each(cases)('%s gets a one-line reason', async (_what, path, body, status, reason) => {
    const before = await snapshot(service.brainDir);
    const response = await service.post(path, body);
    expect(response.status).toBe(status);
    expect(Object.keys(response.body)).toEqual(['error']);
    expect(response.body.error).toMatch(reason);
    expect(response.body.error).not.toMatch(/\n/);
    expect(await snapshot(service.brainDir)).toEqual(before);
  });

  it('a body over 1 MiB gets 413', async () => {
    const before = await snapshot(service.brainDir);
    const response = await service.post('/write', { content: 'a'.repeat(1024 * 1024 + 10) });
    expect(response).toEqual({ status: 413, body: { error: "request body is larger than 1 MiB (1048576 bytes), this route's limit" } });
    expect(await snapshot(service.brainDir)).toEqual(before);
  });

  it('a body that is not JSON gets 415 with what to send', async () => {
    const response = await fetch(`${service.url}/write`, { method: 'POST', body: 'content=x', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ error: 'send the body as JSON with Content-Type: application/json' });
  });
});

describe('a note grown past the size a note is read whole at', () => {
  // Appends or an editor can grow a note past any one write; reading it whole would hold the service.
  const bytes = MAX_NOTE_READ_BYTES + 1;
  const refusal = `grown.md is ${bytes.toLocaleString('en')} bytes, over the 4 MiB (4,194,304 bytes) a note is read whole at (to read it, append to it or write it with expected_sha256); split it into smaller notes, or overwrite it`;
  const grow = async () => {
    const text = `---\ntitle: Grown\n---\nWombats dig burrows.\n${'y'.repeat(bytes - 43)}\n`;
    expect(Buffer.byteLength(text)).toBe(bytes);
    await writeFile(join(service.knowledge, 'grown.md'), text);
    await service.brain.settled();
  };

  it('is refused with 422 naming the limit by a read, an append and a conditional write, which change nothing', async () => {
    await grow();
    const read = await service.get('/notes/grown.md');
    expect(read).toMatchObject({ status: 422, body: { error: refusal, path: 'grown.md' } });
    const before = await snapshot(service.brainDir);
    const append = await service.post('/write', { filename: 'grown', mode: 'append', content: 'one more line' });
    expect(append).toEqual({ status: 422, body: { error: refusal, path: 'grown.md' } });
    const conditional = await service.post('/write', { filename: 'grown', mode: 'overwrite', content: 'short', expected_sha256: 'a'.repeat(64) });
    expect(conditional.status).toBe(422);
    expect(await snapshot(service.brainDir)).toEqual(before);
  });

  it('is still found by a search, and a plain overwrite replaces it unread', async () => {
    await grow();
    // The watcher reports the file once it is written and its events settle: wait for the index, not for time.
    let hits: Array<{ path: string }> = [];
    await within(GENEROUS_MS, async () => {
      hits = (await service.post('/query', { query: 'wombats burrows' })).body.results ?? [];
      return hits.length > 0;
    });
    expect(hits.map((hit) => hit.path)).toEqual(['grown.md']);
    const replaced = await service.post('/write', { filename: 'grown', mode: 'overwrite', content: 'Wombats, in short.' });
    expect(replaced).toMatchObject({ status: 200, body: { path: 'grown.md', action: 'overwritten' } });
    expect((await service.get('/notes/grown.md')).body.body).toBe('Wombats, in short.');
  });
});
