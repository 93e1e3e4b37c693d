import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import matter from 'gray-matter';
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

const JS_NOTES = [
  '---js\n{ title: (globalThis.__frontmatterEvaluated = 1, "pwned") }\n---\nmarmoset body words\n',
  '---javascript\n{ title: (globalThis.__frontmatterEvaluated = 2, "pwned") }\n---\nmarmoset body words\n',
  '--- JS\n{ title: (globalThis.__frontmatterEvaluated = 3, "pwned") }\n---\nmarmoset body words\n',
];

describe('frontmatter is YAML only', () => {
  it('gray-matter itself would evaluate these notes (so the test below means something)', () => {
    matter(JS_NOTES[0] as string);
    expect(globalThis.__frontmatterEvaluated).toBe(1);
  });

  it.each(JS_NOTES)('a note on disk with %j is indexed by its body, and no code runs', async (text) => {
    service = await startService();
    await writeFile(join(service.knowledge, 'js.md'), text);
    await within(GENEROUS_MS, async () => (await service!.post('/query', { query: 'marmoset' })).body.results.length === 1);
    const [hit] = (await service.post('/query', { query: 'marmoset' })).body.results;
    expect(hit).toMatchObject({ path: 'js.md', title: 'js', excerpt: 'marmoset body words' });
    expect((await service.get('/notes/js.md')).body.frontmatter).toEqual({});
    expect(globalThis.__frontmatterEvaluated).toBeUndefined();
    expect(service.logs()).toMatch(/"problem":"frontmatter language \\"(js|javascript|JS)\\" is not YAML"/);
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
