/**
 * Saves that race: the same drafted entries saved by several calls at once leave the notes one call
 * leaves. Within one MCP server the saves take turns (src/tools/session-review.ts); across processes
 * — two MCP replicas on one brain service, each with its own client — a create that finds its name
 * taken compares the entry with the note there before trying `-2`, and a conditional append refused
 * by another writer's change (409) reads and decides again, more than once (src/knowledge/save.ts).
 * Races are made certain, not likely: the fake LiteLLM holds every answer until all calls have asked,
 * and the racing stores wait for each other between their search and their write.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpBrainClient } from '../src/brain/client.js';
import { parseTrainerEntries } from '../src/knowledge/entries.js';
import { saveEntries, WRITE_ATTEMPTS, type NoteStore, type SavedEntry } from '../src/knowledge/save.js';
import { MODELS } from './support/fixture-config.js';
import { startService, type TestService } from './support/service.js';
import { startTestSupervisor, useTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { gate } from './support/wait.js';

const FLAKY = `# Quarantine intermittently failing tests within a day
type: pattern · domain: testing · tags: flaky-tests, quarantine, ci

## Lesson
A test that fails now and then blocks unrelated merges and teaches everyone to press retry. Move it to a quarantine suite that still runs but cannot fail the build, open a ticket with an owner, and delete it if nobody fixes it within two weeks.

## When it applies
A test fails on the main branch, passes on a rerun, and the failure has nothing to do with the change.`;

const CACHE = `# Bound every in-memory cache by entries and bytes
type: correction · domain: performance · tags: caching, memory, lru

## Lesson
An in-memory map used as a cache grows with every distinct key and ends as a slow memory leak that the garbage collector cannot reclaim. Give every cache a maximum number of entries and a maximum size in bytes, evict the least recently used, and export its hit rate.

## When it applies
Module-level maps that memoise lookups by user, tenant or request parameters.`;

const WRITER_ANSWER = `${FLAKY}\n\n---\n\n${CACHE}\n\n2 entries ready for brain_write`;
const CALLS = 6;

type CallResult = Awaited<ReturnType<Client['callTool']>>;
const savedOf = (result: CallResult) => (result.structuredContent as { saved: SavedEntry[] }).saved;

/** Every note file under `knowledge/`, by path. */
async function noteFiles(knowledge: string): Promise<string[]> {
  const entries = await readdir(knowledge, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.md')).map((e) => join(e.parentPath, e.name).slice(knowledge.length + 1)).sort();
}

/**
 * The planner answers the readers only once all CALLS readers asked, and the writers only once all
 * CALLS writers asked: every call then has its drafts at the same moment, and saves them at once.
 */
function draftAllAtOnce(sup: TestSupervisor): void {
  const readers = gate();
  const writers = gate();
  let readersAsked = 0;
  let writersAsked = 0;
  const writerTurn = {
    kind: 'answer' as const,
    until: writers.closed,
    text: () => {
      if (++writersAsked === CALLS) writers.open();
      return WRITER_ANSWER;
    },
  };
  sup.llm.behave(MODELS.planner, {
    kind: 'answer',
    until: readers.closed,
    text: () => {
      // No writer can ask before this: every reader is held until the last one asked.
      if (++readersAsked === CALLS) {
        sup.llm.behave(MODELS.planner, writerTurn);
        readers.open();
      }
      return 'READER: learning moments found';
    },
  });
}

const NOTES = ['performance/bound-every-in-memory-cache-by-entries-and-bytes.md', 'testing/quarantine-intermittently-failing-tests-within-a-day.md'];

/** CALLS trainer calls with save: true, each on a session of its own, whose drafts come at once. */
async function trainAllAtOnce(sup: TestSupervisor, client: Client, prefix: string): Promise<SavedEntry[]> {
  for (let i = 0; i < CALLS; i++) {
    await client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: 'the checkout test failed once and passed on retry', session_id: `${prefix}-${i}` } });
  }
  draftAllAtOnce(sup);
  const results = await Promise.all(Array.from({ length: CALLS }, (_, i) => client.callTool({ name: 'trainer', arguments: { session_id: `${prefix}-${i}`, save: true } })));
  for (const result of results) expect(result.isError).toBeFalsy();
  return results.flatMap(savedOf);
}

/** What one call leaves: the two notes created once, every other save of them skipped, none failed. */
function expectOneCallsNotes(saved: SavedEntry[]): void {
  expect(saved.filter((s) => s.outcome === 'failed')).toEqual([]);
  expect(saved.filter((s) => s.outcome === 'created').map((s) => s.path).sort()).toEqual(NOTES);
  expect(saved.filter((s) => s.outcome === 'skipped')).toHaveLength(2 * (CALLS - 1));
}

describe('trainer calls with save: true at once, in one MCP server', () => {
  let sup: TestSupervisor;
  let client: Client;
  useTestSupervisor((started, connected) => ((sup = started), (client = connected)));

  it(`${CALLS} calls saving the same two entries leave the two notes one call leaves, and no entry fails`, async () => {
    expectOneCallsNotes(await trainAllAtOnce(sup, client, 'race'));
    expect(await noteFiles(join(sup.brainDir, 'knowledge'))).toEqual(NOTES);
  });
});

describe('trainer calls with save: true at once, in one MCP server on a separate brain service', () => {
  let service: TestService;
  let sup: TestSupervisor;
  beforeEach(async () => {
    service = await startService();
    sup = await startTestSupervisor({ INGEST_BASE_URL: service.url });
  });
  afterEach(async () => {
    await sup.stop();
    await service.stop();
  });

  it('the saves take turns: the brain refuses none of their writes (no 409 conflict)', async () => {
    expectOneCallsNotes(await trainAllAtOnce(sup, await sup.connect(), 'team-race'));
    expect(await noteFiles(service.knowledge)).toEqual(NOTES);
    const metrics = (await service.get('/metrics')).text;
    expect(metrics).toMatch(/supervisor_brain_writes_total\{result="created"\} 2\b/);
    expect(metrics).not.toMatch(/supervisor_brain_writes_total\{result="conflict"\} [1-9]/);
  });
});

describe('saves racing from two processes on one brain service', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await startService();
  });
  afterEach(async () => {
    await service.stop();
  });

  /**
   * Stores of separate clients (as two MCP replicas hold) whose first write waits until every one of
   * them searched: all of them decide on the brain as it was before any wrote.
   */
  function racingStores(count: number): NoteStore[] {
    const searched = gate();
    let searches = 0;
    return Array.from({ length: count }, () => {
      const brain = new HttpBrainClient(service.url, undefined);
      let waited = false;
      return {
        search: async (query) => {
          const hits = await brain.search(query);
          if (++searches === count) searched.open();
          return hits;
        },
        read: (path) => brain.read(path),
        write: async (note) => {
          if (!waited) await searched.closed;
          waited = true;
          return brain.write(note);
        },
      };
    });
  }

  it('two saves of the same entry that both found nothing leave one note, no -2 copy', async () => {
    const [entry] = parseTrainerEntries(FLAKY);
    const [first, second] = racingStores(2);
    const outcomes = await Promise.all([first!, second!].map((store, i) => saveEntries(store, [entry!], { source: 'trainer', sessionId: `replica-${i}` })));

    expect(outcomes.flat().map((s) => s.outcome).sort()).toEqual(['created', 'skipped']);
    expect(outcomes.flat().map((s) => ('path' in s ? s.path : s.error))).toEqual([
      'testing/quarantine-intermittently-failing-tests-within-a-day.md',
      'testing/quarantine-intermittently-failing-tests-within-a-day.md',
    ]);
    expect(await noteFiles(service.knowledge)).toEqual(['testing/quarantine-intermittently-failing-tests-within-a-day.md']);
  });

  it('two saves of entries that restate one lesson and each add a sentence leave one note with both sentences', async () => {
    const [entry] = parseTrainerEntries(FLAKY);
    const [adding] = parseTrainerEntries(`${FLAKY}\n\n## Example\nPublish a weekly report listing each quarantined case with its flakiness rate, last failure date and assigned engineer.`);
    const [first, second] = racingStores(2);
    const outcomes = await Promise.all([
      saveEntries(first!, [entry!], { source: 'trainer', sessionId: 'replica-a' }),
      saveEntries(second!, [adding!], { source: 'trainer', sessionId: 'replica-b' }),
    ]);

    // Whichever created it, the other's entry was compared with it: appended when it adds, else skipped.
    expect([['appended', 'created'].join(), ['created', 'skipped'].join()]).toContain(outcomes.flat().map((s) => s.outcome).sort().join());
    expect(await noteFiles(service.knowledge)).toEqual(['testing/quarantine-intermittently-failing-tests-within-a-day.md']);
    const note = await new HttpBrainClient(service.url, undefined).read('testing/quarantine-intermittently-failing-tests-within-a-day.md');
    expect(note.body).toContain('Move it to a quarantine suite');
    expect(note.body).toContain('Publish a weekly report listing each quarantined case');
  });

  it(`an append refused because another writer changed the note reads and decides again, up to ${WRITE_ATTEMPTS} writes`, async () => {
    const brain = new HttpBrainClient(service.url, undefined);
    await brain.write({ filename: 'testing/shared-fixtures', title: 'Shared mutable fixtures make tests order-dependent', content: 'Tests that share one mutable fixture pass or fail by the order they run in. Give each test its own fixture.\n' });
    const [entry] = parseTrainerEntries(`# Shared mutable fixtures make tests order-dependent
type: pattern · domain: testing

## Lesson
Tests sharing a mutable fixture pass or fail by the order they run in; give each test its own fixture. Shuffle the test order in CI to reveal hidden coupling early.`);
    // Before each of this save's first two appends, another writer appends a paragraph of its own.
    const others = ['A second agent added this paragraph.', 'A third agent added this one.'];
    const outcomes: string[] = [];
    const store: NoteStore = {
      search: (query) => brain.search(query),
      read: (path) => brain.read(path),
      write: async (note) => {
        const other = note.mode === 'append' ? others.shift() : undefined;
        if (other) await new HttpBrainClient(service.url, undefined).write({ filename: 'testing/shared-fixtures', mode: 'append', content: other });
        try {
          const written = await brain.write(note);
          outcomes.push(written.action);
          return written;
        } catch (error) {
          outcomes.push(`refused ${(error as { status?: number }).status}`);
          throw error;
        }
      },
    };
    const [saved] = await saveEntries(store, [entry!], { source: 'trainer', sessionId: 's-1' });

    expect(saved).toMatchObject({ outcome: 'appended', path: 'testing/shared-fixtures.md' });
    expect(outcomes).toEqual(['refused 409', 'refused 409', 'appended']);
    const note = await brain.read('testing/shared-fixtures.md');
    expect(note.body).toContain('A second agent added this paragraph.');
    expect(note.body).toContain('A third agent added this one.');
    expect(note.body).toMatch(/### Added by trainer, .* \(session s-1\)\n\n- Shuffle the test order in CI/);
  });
});
