/**
 * Issue 8, items 7, 12 and 13: YAML alias bombs, long names, and one set of rules for the brain
 * whether it is reached over HTTP or through MCP in the embedded mode.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, useTestService, within, type TestService } from './support/service.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { GENEROUS_MS } from './support/wait.js';

/** "Billion laughs": 9^7 (4.8 million) strings from a few hundred bytes of YAML. */
const ALIAS_BOMB = [
  '---',
  'title: Laughs',
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...['b', 'c', 'd', 'e', 'f', 'g'].map((name, i) => {
    const previous = 'abcdefg'[i];
    return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`;
  }),
  '---',
  'quokkabomb body words',
].join('\n');

const toolText = (result: unknown) => ((result as { content: Array<{ text: string }> }).content[0]?.text ?? '');

describe('YAML alias bombs and oversize frontmatter', () => {
  let service: TestService;
  useTestService((started) => (service = started));

  it('POST /write refuses an alias bomb with 400 naming the bound', async () => {
    const response = await service.post('/write', { content: ALIAS_BOMB, filename: 'bomb' });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/aliases \(\*name\).*at most 256 KiB/);
  });

  it('POST /write refuses frontmatter over 16 KiB, and fields that would make it so', async () => {
    const big = `---\nnotes: "${'x'.repeat(70 * 1024)}"\n---\nbody`;
    const response = await service.post('/write', { content: big, filename: 'big' });
    expect(response).toMatchObject({ status: 400, body: { error: expect.stringMatching(/frontmatter is larger than 16 KiB.*at most 16 KiB/) } });
    const viaFields = await service.post('/write', { content: 'body', filename: 'big2', extra: 'y'.repeat(70 * 1024) });
    expect(viaFields).toMatchObject({ status: 400, body: { error: expect.stringMatching(/at most 16 KiB/) } });
  });

  it('fields are bounded before they become YAML: too deep, too many, or an append carrying too many keys get 400 at once', async () => {
    const deep = `{"content":"body","filename":"deep","extra":${'['.repeat(5000)}"x"${']'.repeat(5000)}}`;
    expect(await service.post('/write', deep)).toMatchObject({ status: 400, body: { error: 'extra nests deeper than 64 levels; at most 64' } });
    const many = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, 'v']));
    const started = performance.now();
    expect(await service.post('/write', { content: 'body', filename: 'many', ...many })).toMatchObject({
      status: 400,
      body: { error: 'a write may set at most 64 frontmatter fields (got 30000)' },
    });
    expect(performance.now() - started).toBeLessThan(5_000); // seconds of quadratic YAML edits before; generous for a loaded machine
    await service.post('/write', { content: 'first', filename: 'grows' });
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}: v`).join('\n');
    expect(await service.post('/write', { content: `---\n${keys}\n---\nmore`, filename: 'grows', mode: 'append' })).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('an append may set at most 64 frontmatter fields') },
    });
    expect((await service.get('/notes/grows.md', { accept: 'text/markdown' })).text).toBe('first');
  });

  it('a bomb found on disk is indexed by its body with a warning; reading it is quick and /health keeps answering', async () => {
    await writeFile(join(service.knowledge, 'bomb.md'), ALIAS_BOMB);
    await writeFile(join(service.knowledge, 'loop.md'), '---\nself: &s [1, *s]\n---\nquokkaloop body\n');
    await within(GENEROUS_MS, async () => (await service.post('/query', { query: 'quokkabomb quokkaloop', limit: 5 })).body.results?.length === 2);

    const read = service.get('/notes/bomb.md');
    const health = await Promise.race([
      service.get('/health').then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('blocked'), 2_000)), // a bomb expanded in the event loop holds it far longer
    ]);
    expect(health).toBe('answered');
    const note = await read;
    expect(note.status).toBe(200);
    expect(note.body).toMatchObject({ frontmatter: {}, title: 'bomb', body: expect.stringContaining('quokkabomb') });
    expect(note.text.length).toBeLessThan(10_000);
    expect((await service.get('/notes/loop.md')).status).toBe(200);
    expect(service.logs()).toMatch(/expands to more than 256 KiB/);
    expect(service.logs()).toMatch(/alias \(\*name\) inside its own anchor/);
  });
});

describe('long names', () => {
  let service: TestService;
  useTestService((started) => (service = started));

  it.each([
    ['210 ASCII bytes', 'a'.repeat(210)],
    ['71 CJK characters (213 bytes)', '知'.repeat(71)],
    ['a folder name over the limit', `${'b'.repeat(205)}/note`],
  ])('a filename of %s is refused with 400 naming the limit in bytes', async (_what, filename) => {
    const response = await service.post('/write', { content: 'body', filename });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(/at most 200 bytes/);
    expect(JSON.stringify(response.body)).not.toContain(service.brainDir);
  });

  it('a name generated from a long CJK title is cut by bytes, whole characters kept, and the note found by its title', async () => {
    const title = '知識'.repeat(40);
    const response = await service.post('/write', { content: 'kiwiword body', title });
    expect(response.status).toBe(201);
    const name = response.body.path as string;
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name).toMatch(/^[知識]+\.md$/);
    expect(Buffer.from(name).toString('utf8')).toBe(name);
    const found = await service.post('/query', { query: 'kiwiword' });
    expect(found.body.results[0]).toMatchObject({ path: name, title });
  });
});

describe('embedded and team modes refuse the same inputs', () => {
  let supervisor: TestSupervisor;
  let client: Client;
  let service: TestService;
  beforeAll(async () => {
    supervisor = await startTestSupervisor();
    client = await supervisor.connect();
    service = await startService();
  });
  afterAll(async () => {
    await supervisor.stop();
    await service.stop();
  });

  const HOSTILE_WRITES: Array<[string, Record<string, unknown>]> = [
    ['a title with a newline', { content: 'body', title: 'two\nlines' }],
    ['a 500-character type', { content: 'body', type: 't'.repeat(500), filename: 'typed' }],
    ['a domain with an escape', { content: 'body', domain: 'a\u001b[31m', filename: 'dom' }],
    ['51 tags', { content: 'body', tags: Array.from({ length: 51 }, (_, i) => `t${i}`), filename: 'tagged' }],
    ['a 101-character tag', { content: 'body', tags: ['x'.repeat(101)], filename: 'tagged' }],
    ['blank content', { content: '   \n ', filename: 'blank' }],
    ['an alias bomb', { content: ALIAS_BOMB, filename: 'bomb' }],
    ['a 210-byte name', { content: 'body', filename: 'n'.repeat(210) }],
  ];

  it.each(HOSTILE_WRITES)('%s: POST /write and brain_write give the same reason', async (_what, note) => {
    const http = await service.post('/write', note);
    expect(http.status).toBe(400);
    const mcp = await client.callTool({ name: 'brain_write', arguments: note });
    expect(mcp.isError).toBe(true);
    expect(toolText(mcp)).toBe(http.body.error);
  });

  it('a 500-character type filter is refused the same way by POST /query and brain_query', async () => {
    const http = await service.post('/query', { query: 'anything', type: 't'.repeat(500) });
    expect(http.status).toBe(400);
    const mcp = await client.callTool({ name: 'brain_query', arguments: { query: 'anything', type: 't'.repeat(500) } });
    expect(mcp.isError).toBe(true);
    expect(toolText(mcp)).toBe(http.body.error);
  });

  it('tags written or asked for with a leading # match the same way', async () => {
    const note = { content: 'pangolin scales', filename: 'pangolin', tags: ['#zoology'] };
    expect((await service.post('/write', note)).status).toBe(201);
    expect((await client.callTool({ name: 'brain_write', arguments: note })).isError).toBeFalsy();
    for (const tags of [['#zoology'], ['zoology']]) {
      const http = await service.post('/query', { query: 'pangolin', tags });
      const mcp = await client.callTool({ name: 'brain_query', arguments: { query: 'pangolin', tags } });
      expect(http.body.results.map((r: { path: string }) => r.path)).toEqual(['pangolin.md']);
      expect((mcp.structuredContent as { results: Array<{ path: string }> }).results.map((r) => r.path)).toEqual(['pangolin.md']);
    }
  });

  it('an unexpected failure reaches the MCP client as a generic tool error without server paths, logged in full', async () => {
    // knowledge/ replaced by a plain file: the filesystem refuses, with its absolute path.
    const knowledge = join(supervisor.brainDir, 'knowledge');
    await rm(knowledge, { recursive: true, force: true });
    await writeFile(knowledge, 'not a folder');
    try {
      const result = await client.callTool({ name: 'brain_write', arguments: { content: 'body', filename: 'x' } });
      expect(result.isError).toBe(true);
      expect(toolText(result)).toBe('internal error; the server log has the details');
      expect(JSON.stringify(result)).not.toContain(supervisor.brainDir);
      expect(supervisor.logs()).toMatch(/tool failed unexpectedly/);
    } finally {
      await rm(knowledge, { force: true });
      await mkdir(knowledge);
    }
  });
});
