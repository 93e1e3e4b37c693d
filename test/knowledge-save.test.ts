/**
 * Drafted entries as models write them (src/knowledge/entries.ts) — bold keys, CRLF, a BOM, code
 * fences holding `#` and `---`, the closing lines, hostile sizes — and saving them against a real
 * brain (src/knowledge/save.ts) while another writer edits the note an entry is appended to.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Brain } from '../ingestion/index.js';
import { LocalBrainClient } from '../src/brain/client.js';
import { ENTRY_BODY_CHARS, MAX_ENTRIES, parseRetrospectiveLearnings, parseTrainerEntries } from '../src/knowledge/entries.js';
import { saveEntries, type NoteStore } from '../src/knowledge/save.js';

const ENTRY = `# Keep fixtures per test
type: pattern · domain: testing · tags: fixtures, isolation, flaky-tests

## Lesson
Tests that share one mutable fixture pass or fail by the order they run in.

## When it applies
A suite that fails only when run in full.

## Example
\`\`\`sh
# not a new entry: a comment inside the example
---
npm test -- --sequence.shuffle
\`\`\``;

describe('drafted entries, as models write them', () => {
  it('reads the trainer-writer format: title, fields, sections; code fences keep their # and ---', () => {
    const [entry, ...rest] = parseTrainerEntries(`${ENTRY}\n\n**Skipped**\n- a rename: mechanical.\n\n1 entries ready for brain_write\n`);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ title: 'Keep fixtures per test', type: 'pattern', domain: 'testing', tags: ['fixtures', 'isolation', 'flaky-tests'] });
    expect(entry!.body).toMatch(/^## Lesson\nTests that share/);
    expect(entry!.body).toContain('# not a new entry: a comment inside the example\n---\nnpm test');
    expect(entry!.body).not.toMatch(/Skipped|entries ready/);
    expect(entry!.lesson).toBe('Keep fixtures per test\nTests that share one mutable fixture pass or fail by the order they run in.');
  });

  it('reads the same entries from CRLF line ends and a BOM', () => {
    const crlf = `\uFEFF${ENTRY}\n---\n${ENTRY.replace('Keep fixtures per test', 'Second one')}`.replace(/\n/g, '\r\n');
    const entries = parseTrainerEntries(crlf);
    expect(entries.map((e) => e.title)).toEqual(['Keep fixtures per test', 'Second one']);
    expect(entries[0]!.body).toBe(parseTrainerEntries(ENTRY)[0]!.body);
  });

  it('takes fields written in bold, separated otherwise, and keeps names safe for a folder', () => {
    const [entry] = parseTrainerEntries('# Topic: **Bounded caches**\n**Type**: Correction | **Domain**: ../../Etc | **Tags**: #Cache, [memory], LRU\n\n## Lesson\nBound them.');
    expect(entry).toMatchObject({ title: 'Bounded caches', type: 'correction', domain: 'etc', tags: ['cache', 'memory', 'lru'] });
  });

  it('passes over headings without a body, and bounds the count, the body and the title', () => {
    expect(parseTrainerEntries('# Only a title\n\n0 entries ready for brain_write')).toEqual([]);
    const many = Array.from({ length: 10_000 }, (_, i) => `# Entry ${i}\ntype: pattern\n\n## Lesson\nText ${i}.`).join('\n---\n');
    expect(parseTrainerEntries(many)).toHaveLength(MAX_ENTRIES);
    const [huge] = parseTrainerEntries(`# ${'Very long title '.repeat(40)}\n\n## Lesson\n${'A line of the lesson.\n'.repeat(5000)}`);
    expect(huge!.body.length).toBeLessThanOrEqual(ENTRY_BODY_CHARS);
    expect(huge!.title.length).toBeLessThanOrEqual(200);
    expect(huge!.title).toMatch(/^Very long title .*…$/);
  });

  it("reads the retrospective's learnings, not its summary or its count", () => {
    const learnings = parseRetrospectiveLearnings(`Two sentences of summary. Here.

### Fallbacks that repeat point at a broken primary model
- **Context**: a chain whose first model fails every call.
- **Evidence**: every call fell back.
- **Recommendation**: fix or remove the first model.

### Second learning
- **Recommendation**: do it.

2 learnings`);
    expect(learnings.map((l) => [l.title, l.type, l.domain])).toEqual([
      ['Fallbacks that repeat point at a broken primary model', 'lesson', null],
      ['Second learning', 'lesson', null],
    ]);
    expect(learnings[0]!.body).toMatch(/^- \*\*Context\*\*: a chain[\s\S]*remove the first model\.$/);
    expect(learnings[0]!.lesson).toBe('Fallbacks that repeat point at a broken primary model\nfix or remove the first model.');
    expect(parseRetrospectiveLearnings('Nothing worth keeping happened.\n\n0 learnings')).toEqual([]);
  });

  it('reads a line that only begins with "skipped" as text of the entry; the Skipped heading still closes it', () => {
    const wrapped = `# Run migrations on realistic data
type: correction · domain: database

## Lesson
A migration tested only by the suite's fresh database
skipped the rows that production holds, which hid a duplicate until the deploy.

## Example
A unique index on an email column.`;
    const [entry] = parseTrainerEntries(wrapped);
    expect(entry!.body).toContain('skipped the rows that production holds');
    expect(entry!.body).toContain('## Example\nA unique index on an email column.');
    for (const closing of ['**Skipped**', '**Skipped:** a rename', '**Skipped candidates**: a rename', 'Skipped: a rename', 'Skipped (scored below 3):', '## Skipped', '# Skipped']) {
      const entries = parseTrainerEntries(`${wrapped}\n\n${closing}\n- a rename: mechanical.\n\n1 entries ready for brain_write`);
      expect(entries.map((e) => e.title), closing).toEqual(['Run migrations on realistic data']);
      expect(entries[0]!.body, closing).not.toMatch(/a rename/);
    }
    // A title that begins with the word is an entry, not the heading of the skipped ones.
    expect(parseTrainerEntries('# Skipped tests hide failures\n\n## Lesson\nCount them in CI.').map((e) => e.title)).toEqual(['Skipped tests hide failures']);
    const [learning] = parseRetrospectiveLearnings(`### Seed the test database
- **Evidence**: the suite ran on an empty database and
  skipped every existing row.
- **Recommendation**: run each migration on seeded data
  before deploying it.

1 learnings`);
    expect(learning!.body).toContain('skipped every existing row.');
    expect(learning!.body).toContain('**Recommendation**');
  });

  it("takes a learning's lesson from its title and its whole Recommendation, not its Evidence", () => {
    const [learning] = parseRetrospectiveLearnings(`### Seed the test database
- **Evidence**: the suite ran on an empty database.
- **Recommendation**: run each migration on seeded data
  before deploying it.
- **Context**: schema changes.`);
    expect(learning!.lesson).toBe('Seed the test database\nrun each migration on seeded data before deploying it.');
  });
});

describe('saving while another writer edits the note', () => {
  let dir: string;
  let brain: Brain;
  let client: LocalBrainClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'knowledge-save-'));
    brain = await Brain.open(dir, pino({ level: 'silent' }));
    await brain.reconcile();
    client = new LocalBrainClient(brain);
  });
  afterAll(async () => {
    await brain.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the note again when it changed between the read and the append, and keeps both', async () => {
    await client.write({ filename: 'testing/shared-fixtures', title: 'Shared mutable fixtures make tests order-dependent', content: 'Tests that share one mutable fixture pass or fail by the order they run in. Give each test its own fixture.\n' });
    let edited = false;
    const outcomes: string[] = [];
    // Between this call's read and its append, another agent appends its own paragraph.
    const racing: NoteStore = {
      search: (query) => client.search(query),
      read: (path) => client.read(path),
      write: async (note) => {
        if (note.mode === 'append' && !edited) {
          edited = true;
          await client.write({ filename: 'testing/shared-fixtures', mode: 'append', content: 'Another agent added this paragraph meanwhile.' });
        }
        try {
          const written = await client.write(note);
          outcomes.push(written.action);
          return written;
        } catch (error) {
          outcomes.push(`refused ${(error as { status?: number }).status}`);
          throw error;
        }
      },
    };
    const [entry] = parseTrainerEntries(`# Shared mutable fixtures make tests order-dependent
type: pattern · domain: testing

## Lesson
Tests sharing a mutable fixture pass or fail by the order they run in; give each test its own fixture. Shuffle the test order in CI to reveal hidden coupling early.`);
    const [saved] = await saveEntries(racing, [entry!], { source: 'trainer', sessionId: 's-1' });
    expect(saved).toMatchObject({ outcome: 'appended', path: 'testing/shared-fixtures.md' });
    // The first append named the sha256 it read and was refused; the second named the new one.
    expect(outcomes).toEqual(['refused 409', 'appended']);
    const note = await client.read('testing/shared-fixtures.md');
    expect(note.body).toContain('Another agent added this paragraph meanwhile.');
    expect(note.body).toMatch(/### Added by trainer, .* \(session s-1\)\n\n- Shuffle the test order in CI/);
    expect(note.body.indexOf('Another agent')).toBeLessThan(note.body.indexOf('### Added by trainer'));
  });
});
