/**
 * Names generated from a title fit the brain's limit of 200 bytes (UTF-8) per name, whatever the
 * script: they are cut by bytes, at a character, never inside one. A title in a 4-byte script
 * (Gothic: 𐌰 is U+10330, 4 bytes) once made a name of 60 characters and 240 bytes, which the brain
 * refused (400), so the trainer could not save such an entry.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrainerEntries } from '../src/knowledge/entries.js';
import { MODELS } from './support/fixture-config.js';
import { startService, type TestService } from './support/service.js';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

/** 60 Gothic letters in words of 6: 240 bytes, 120 UTF-16 units (inside the drafts' 200-character titles). */
const GOTHIC_TITLE = Array.from({ length: 10 }, () => '𐌰𐌱𐌲𐌳𐌴𐌵').join(' ');
const MAX_NAME_BYTES = 200;

/** Each folder or file name of `path` in UTF-8 bytes, and whether it is well-formed (no half character). */
function components(path: string): Array<{ bytes: number; wellFormed: boolean }> {
  return path.split('/').map((name) => ({ bytes: Buffer.byteLength(name), wellFormed: !/\p{Cs}/u.test(name) }));
}

describe('POST /write with a title in a 4-byte script and no filename', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(async () => {
    await service.stop();
  });

  it('creates the note under a name cut by bytes at a character boundary', async () => {
    expect(Buffer.byteLength(GOTHIC_TITLE.replace(/ /g, '-'))).toBeGreaterThan(MAX_NAME_BYTES);
    const written = await service.post('/write', { content: 'A note whose title is Gothic.', title: GOTHIC_TITLE });
    expect(written.status).toBe(201);
    expect(written.body.path).toMatch(/^𐌰𐌱𐌲𐌳𐌴𐌵(-𐌰𐌱𐌲𐌳𐌴𐌵)*(-[\u{10330}-\u{1034a}]+)?\.md$/u);
    for (const component of components(written.body.path)) expect(component).toEqual({ bytes: expect.any(Number), wellFormed: true });
    expect(Math.max(...components(written.body.path).map((c) => c.bytes))).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect((await service.get(`/notes/${encodeURIComponent(written.body.path)}`)).status).toBe(200);
  });
});

describe('trainer with save: true, an entry titled in a 4-byte script', () => {
  let sup: TestSupervisor;
  let client: Client;
  useTestSupervisor((started, connected) => ((sup = started), (client = connected)));

  it('creates the note, under a name of at most 200 bytes cut at a character, and a second such entry gets -2', async () => {
    await client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: 'a flaky test', session_id: 'gothic' } });
    const entry = (lesson: string) => `# ${GOTHIC_TITLE}
type: pattern · domain: testing

## Lesson
${lesson}`;
    const writer = `${entry('Run every test in a fresh temporary folder, so that no test reads the files another one left behind.')}\n\n---\n\n${entry('Pin the random seed of property-based tests in CI and print it on failure, so that any failing case can be replayed locally.')}\n\n2 entries ready for brain_write`;
    sup.llm.behave(MODELS.planner, { kind: 'answer', text: (r) => (r.messages[0]?.content.includes('trainer-reader') ? 'READER: moments' : writer) });

    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'gothic', save: true } });
    expect(result.isError).toBeFalsy();
    const saved = (result.structuredContent as { saved: Array<{ outcome: string; path?: string; error?: string }> }).saved;
    expect(saved.map((s) => s.outcome)).toEqual(['created', 'created']);
    const [first, second] = saved.map((s) => s.path ?? '');
    expect(first).toMatch(/^testing\/𐌰𐌱𐌲𐌳𐌴𐌵(-𐌰𐌱𐌲𐌳𐌴𐌵)*(-[\u{10330}-\u{1034a}]+)?\.md$/u);
    expect(second).toBe(first!.replace(/\.md$/, '-2.md'));
    for (const path of [first!, second!]) {
      for (const component of components(path)) {
        expect(component.wellFormed).toBe(true);
        expect(component.bytes).toBeLessThanOrEqual(MAX_NAME_BYTES);
      }
      expect((await sup.deps.brain.read(path)).title).toBe(GOTHIC_TITLE);
    }
  });
});

describe('a drafted entry whose title is longer than a title may be', () => {
  it('is cut at a character, never inside one: no half of a 4-byte character is left', () => {
    // 199 UTF-16 units would end between the two halves of the 100th Gothic letter.
    const heading = `# ${'𐌰'.repeat(150)}`;
    const [entry] = parseTrainerEntries(`${heading}\n\n## Lesson\n\nKeep titles whole.\n`);
    expect(entry?.title).toMatch(/^𐌰+…$/u);
    expect(entry?.title).not.toMatch(/\p{Cs}/u);
  });
});
