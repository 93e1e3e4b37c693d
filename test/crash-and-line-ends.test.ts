/**
 * Issue 8, items 15 and 16: temp files left by a process killed mid-write, notes with a byte order
 * mark or CRLF line ends, and API appends racing another process appending to the same file.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startService, within, type TestService } from './support/service.js';
import { GENEROUS_MS } from './support/wait.js';

const repo = join(import.meta.dirname, '..');
let service: TestService | undefined;
let brainDir: string | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
  if (brainDir) await rm(brainDir, { recursive: true, force: true });
  brainDir = undefined;
});

/** Runs `code` (an ES module) in a real second node process, with tsx so it can import our sources. */
function child(code: string) {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
}

const TEMP_NAME = /^\..+\.md\.[0-9a-f-]{36}\.tmp$/;

describe('crash leftovers', () => {
  it('temp files of writes killed with SIGKILL are removed at start; other hidden files stay', async () => {
    brainDir = await mkdtemp(join(tmpdir(), 'supervisor-crash-'));
    const knowledge = join(brainDir, 'knowledge');
    await mkdir(join(knowledge, 'area'), { recursive: true });
    // A writer that is always in the middle of a big atomic write, killed without warning.
    const writer = child(`
      import { writeFileAtomic } from './ingestion/atomic-file.ts';
      const text = 'x'.repeat(4 * 1024 * 1024);
      process.stdout.write('started\\n');
      for (let i = 0; ; i++) await writeFileAtomic(${JSON.stringify(join(knowledge, 'area', 'big.md'))}, text + i, { exclusive: false });
    `);
    let leftovers: string[] = [];
    try {
      await within(GENEROUS_MS, async () => {
        leftovers = (await readdir(join(knowledge, 'area'))).filter((name) => TEMP_NAME.test(name));
        return leftovers.length > 0;
      });
    } finally {
      writer.kill('SIGKILL');
      await new Promise((resolve) => writer.once('exit', resolve));
    }
    leftovers = (await readdir(join(knowledge, 'area'))).filter((name) => TEMP_NAME.test(name));
    // A crash leftover at the top too, and hidden files that are not ours and must stay.
    const planted = '.note.md.0f8fad5b-d9cb-469f-a165-70867728950e.tmp';
    const notOurs = ['.note.md.swp', '.backup.tmp', '.note.md.not-a-uuid.tmp', '.git-keep'];
    for (const name of [planted, ...notOurs]) await writeFile(join(knowledge, name), 'leftover');
    expect(leftovers.length + 1).toBeGreaterThan(0);

    service = await startService({ brainDir });
    const top = await readdir(knowledge);
    expect(top.filter((name) => TEMP_NAME.test(name))).toEqual([]);
    expect(top).toEqual(expect.arrayContaining(notOurs));
    expect((await readdir(join(knowledge, 'area'))).filter((name) => TEMP_NAME.test(name))).toEqual([]);
    expect(service.logs()).toMatch(/removed a temp file left by an interrupted write/);
  });
});

describe('byte order marks and CRLF line ends', () => {
  const NOTE = '\uFEFF---\r\ntitle: Capybara handbook\r\ntype: howto\r\ntags:\r\n  - rodents\r\n  - "#care"\r\nowner: zoo # keep me\r\n---\r\n# Ignored heading\r\nCapybaras like water.\r\n';

  it('are parsed as an editor would: clean fields, indexed and found by title', async () => {
    service = await startService();
    await writeFile(join(service.knowledge, 'capy.md'), NOTE);
    await within(GENEROUS_MS, async () => ((await service!.post('/query', { query: 'capybara handbook' })).body.results ?? []).length > 0);
    const note = await service.get('/notes/capy.md');
    expect(note.body).toMatchObject({ title: 'Capybara handbook', type: 'howto', tags: ['rodents', 'care'] });
    expect(note.body.frontmatter).toEqual({ title: 'Capybara handbook', type: 'howto', tags: ['rodents', '#care'], owner: 'zoo' });
    const hits = (await service.post('/query', { query: 'handbook', tags: ['rodents'] })).body.results;
    expect(hits[0]).toMatchObject({ path: 'capy.md', title: 'Capybara handbook' });
  });

  it('an append, with or without fields, keeps the BOM, the line ends and the rest of the note', async () => {
    service = await startService();
    await writeFile(join(service.knowledge, 'capy.md'), NOTE);
    await within(GENEROUS_MS, async () => (await service!.get('/notes/capy.md')).status === 200);

    expect((await service.post('/write', { content: 'They also swim.', filename: 'capy', mode: 'append' })).status).toBe(200);
    expect(await readFile(join(service.knowledge, 'capy.md'), 'utf8')).toBe(`${NOTE}\r\nThey also swim.\r\n`);

    const withDomain = await service.post('/write', { content: 'And dive.', filename: 'capy', mode: 'append', domain: 'zoology' });
    expect(withDomain.status).toBe(200);
    const text = await readFile(join(service.knowledge, 'capy.md'), 'utf8');
    expect(text).toBe(
      '\uFEFF---\r\ntitle: Capybara handbook\r\ntype: howto\r\ntags:\r\n  - rodents\r\n  - "#care"\r\nowner: zoo # keep me\r\ndomain: zoology\r\n---\r\n' +
        '# Ignored heading\r\nCapybaras like water.\r\n\r\nThey also swim.\r\n\r\nAnd dive.\r\n',
    );
    const note = await service.get('/notes/capy.md');
    expect(note.body).toMatchObject({ title: 'Capybara handbook', domain: 'zoology', type: 'howto' });
  });
});

describe('appends racing another process', () => {
  it('no line of either writer is lost when another process appends to the same file', async () => {
    service = await startService();
    expect((await service.post('/write', { content: 'Shared log', filename: 'shared' })).status).toBe(201);
    const file = join(service.knowledge, 'shared.md');
    const OTHER_LINES = 400;
    // The other writer: an editor or a script using plain appends.
    const other = child(`
      import { appendFileSync } from 'node:fs';
      for (let i = 0; i < ${OTHER_LINES}; i++) {
        appendFileSync(${JSON.stringify(file)}, 'other line ' + i + '\\n');
        const until = Date.now() + 1; while (Date.now() < until) {}
      }
    `);
    const otherDone = new Promise((resolve) => other.once('exit', resolve));
    const apiLines: string[] = [];
    for (let i = 0; apiLines.length < 300; i++) {
      const line = `api line ${i}`;
      const response = await service.post('/write', { content: line, filename: 'shared', mode: 'append' });
      expect(response.status).toBe(200);
      apiLines.push(line);
    }
    expect(await otherDone).toBe(0);
    const text = await readFile(file, 'utf8');
    const lines = new Set(text.split('\n'));
    const missingApi = apiLines.filter((line) => !lines.has(line));
    const missingOther = Array.from({ length: OTHER_LINES }, (_, i) => `other line ${i}`).filter((line) => !lines.has(line));
    expect({ missingApi, missingOther }).toEqual({ missingApi: [], missingOther: [] });
  });
});
