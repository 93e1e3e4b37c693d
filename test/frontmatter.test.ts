import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNote } from '../ingestion/frontmatter.js';
import { startService, within, type TestService } from './support/service.js';
import { GENEROUS_MS } from './support/wait.js';

declare global {
  var __frontmatterEvaluated: number | undefined;
}

let service: TestService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
  delete globalThis.__frontmatterEvaluated;
});

// The fence languages gray-matter (a frontmatter library) evaluates or would hand to another engine.
const JS_NOTES = [
  '---js\n{ title: (globalThis.__frontmatterEvaluated = 1, "pwned") }\n---\nmarmoset body words\n',
  '---javascript\n{ title: (globalThis.__frontmatterEvaluated = 2, "pwned") }\n---\nmarmoset body words\n',
  '--- JS\n{ title: (globalThis.__frontmatterEvaluated = 3, "pwned") }\n---\nmarmoset body words\n',
  '--- js\n{ title: (globalThis.__frontmatterEvaluated = 4, "pwned") }\n---\nmarmoset body words\n',
  '---coffee\n{ title: (globalThis.__frontmatterEvaluated = 5, "pwned") }\n---\nmarmoset body words\n',
];

describe('frontmatter is YAML only', () => {
  it.each(JS_NOTES)('the block of %j is live code: evaluating it as gray-matter does sets the flag (so the test below means something)', (text) => {
    const block = text.slice(text.indexOf('\n') + 1, text.indexOf('\n---'));
    // gray-matter's javascript engine: `eval('(' + block + ')')`
    (0, eval)(`(${block})`);
    expect(globalThis.__frontmatterEvaluated).toBeGreaterThan(0);
  });

  it.each(JS_NOTES)('a note on disk with %j is indexed by its body, and no code runs', async (text) => {
    service = await startService();
    await writeFile(join(service.knowledge, 'js.md'), text);
    await within(GENEROUS_MS, async () => (await service!.post('/query', { query: 'marmoset' })).body.results.length === 1);
    const [hit] = (await service.post('/query', { query: 'marmoset' })).body.results;
    expect(hit).toMatchObject({ path: 'js.md', title: 'js', excerpt: 'marmoset body words' });
    expect((await service.get('/notes/js.md')).body.frontmatter).toEqual({});
    expect(globalThis.__frontmatterEvaluated).toBeUndefined();
    expect(service.logs()).toMatch(/"problem":"frontmatter language \\"(js|javascript|JS|coffee)\\" is not YAML"/);
  });

  it('parse results are never shared between calls (gray-matter caches and shares them by default)', () => {
    const text = '---\ntitle: Shared?\ntags: [a]\n---\nbody';
    const first = parseNote(text);
    (first.data.tags as string[]).push('mutated');
    first.data.title = 'mutated';
    const second = parseNote(text);
    expect(second.data).toEqual({ title: 'Shared?', tags: ['a'] });
    expect(second.data).not.toBe(first.data);
  });

  it('a note on disk with broken YAML is indexed by its body and logged once; the service stays up', async () => {
    service = await startService();
    await writeFile(join(service.knowledge, 'broken.md'), '---\ntitle: [unclosed\ntags: : :\n---\n# Tapir facts\n\ntapir body');
    await within(GENEROUS_MS, async () => (await service!.post('/query', { query: 'tapir' })).body.results.length === 1);
    const [hit] = (await service.post('/query', { query: 'tapir' })).body.results;
    expect(hit).toMatchObject({ path: 'broken.md', title: 'Tapir facts' });
    await service.post('/query', { query: 'tapir again' });
    const warnings = service.logs().split('\n').filter((line) => line.includes('broken.md') && line.includes('not valid YAML'));
    expect(warnings).toHaveLength(1);
    expect((await service.get('/health')).status).toBe(200);
  });
});

// The fence rules gray-matter had, kept when it was replaced by our own splitter (docs/brain.md).
describe('where frontmatter starts and ends', () => {
  it.each([
    ['an empty block', '---\n---\nbody', { data: {}, body: 'body', yaml: '' }],
    ['a block of comments only', '---\n# nothing yet\n---\nbody', { data: {}, body: 'body', yaml: '# nothing yet' }],
    ['a block that is null', '---\nnull\n---\nbody', { data: {}, body: 'body', yaml: 'null' }],
    ['no closing fence: all of it is frontmatter', '---\ntitle: Open\n', { data: { title: 'Open' }, body: '', yaml: 'title: Open\n' }],
    ['the first line starting with --- closes it', '---\ntitle: A\n---\n---\nbody', { data: { title: 'A' }, body: '---\nbody', yaml: 'title: A' }],
    ['CRLF line ends', '---\r\ntitle: A\r\n---\r\nbody\r\n', { data: { title: 'A' }, body: 'body\r\n', yaml: 'title: A\n', eol: '\r\n' }],
    ['a named YAML fence', '---yaml\ntitle: A\n---\nbody', { data: { title: 'A' }, body: 'body', yaml: 'title: A' }],
    ['a horizontal rule is not a fence', '----\ntitle: A\n----\nbody', { data: {}, body: '----\ntitle: A\n----\nbody', yaml: null }],
  ])('%s', (_, text, expected) => {
    expect(parseNote(text)).toMatchObject(expected);
  });

  it('a YAML error names the line of the note it is on', () => {
    expect(parseNote('---\ntitle: A\n  bad: x\n---\nbody').problem).toBe('frontmatter is not valid YAML: bad indentation of a mapping entry (3:6)');
  });
});
