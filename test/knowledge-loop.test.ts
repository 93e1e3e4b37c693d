/**
 * The closed knowledge loop through the real MCP SDK client: trainer and retrospective with
 * `save: true` write what they drafted to the brain, checked against the notes already there — a new
 * lesson is created, one that restates a note is skipped or, when it adds something, appended to it —
 * and say what became of each entry; a brain that refuses or cannot be reached costs the entries,
 * never the answer. The same loop runs against a separate ingestion service (team mode). The fake
 * LiteLLM answers with fixed drafts in the disciplines' formats.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS } from './support/fixture-config.js';
import { snapshot, startBrainProxy, startService, type TestService } from './support/service.js';
import { startTestSupervisor, useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

type CallResult = Awaited<ReturnType<Client['callTool']>>;
const textOf = (result: CallResult) => (result.content as Array<{ text: string }>)[0]?.text ?? '';
const savedOf = (result: CallResult) => (result.structuredContent as { saved: Array<Record<string, unknown>> }).saved;

const FLAKY = `# Quarantine intermittently failing tests within a day
type: pattern · domain: testing · tags: flaky-tests, quarantine, ci

## Lesson
A test that fails now and then blocks unrelated merges and teaches everyone to press retry. Move it to a quarantine suite that still runs but cannot fail the build, open a ticket with an owner, and delete it if nobody fixes it within two weeks.

## When it applies
A test fails on the main branch, passes on a rerun, and the failure has nothing to do with the change.

## Example
A vitest project named quarantine that runs with --passWithNoTests and reports to a dashboard instead of the build status.`;

const WOMBAT = `# Bound every in-memory cache by entries and bytes
type: correction · domain: performance · tags: caching, memory, lru

## Lesson
An in-memory map used as a cache grows with every distinct key and ends as a slow memory leak that the garbage collector cannot reclaim. Give every cache a maximum number of entries and a maximum size in bytes, evict the least recently used, and export its hit rate.

## When it applies
Module-level maps that memoise lookups by user, tenant or request parameters.

## Example
new LRUCache({ max: 10_000, maxSize: 50_000_000, sizeCalculation: (v) => v.length }) instead of new Map().`;

const writerAnswer = (...entries: string[]) => `${entries.join('\n\n---\n\n')}\n\n**Skipped**\n- the wombat build script: only true of this project.\n\n${entries.length} entries ready for brain_write`;

/** The planner answers the trainer's reader and writer (or the retrospective) with these texts. */
function answerTrainer(sup: TestSupervisor, writer: string, reader = 'READER: learning moments found'): void {
  sup.llm.behave(MODELS.planner, { kind: 'answer', text: (r) => (r.messages[0]?.content.includes('trainer-reader') ? reader : writer) });
}

/** A note in the brain, and a drafted entry that restates it and adds one sentence. */
const RETRY_BUDGETS = {
  filename: 'api/retry-budgets',
  title: 'Retry budgets instead of fixed retry counts',
  type: 'lesson',
  domain: 'api',
  content: 'A fixed retry count per request multiplies the load on a dependency that is already failing. Give each client a retry budget: retries may add at most 10 % to its request rate over a sliding window; once the budget is spent, failed calls fail at once.\n',
};
const RESTATING_RETRY_BUDGETS = `# Cap retries with a per-client budget
type: correction · domain: api · tags: retries, resilience, overload

## Lesson
Retrying each failed request a fixed number of times multiplies the load on a dependency that is already failing. Give every client a retry budget, retries adding at most 10 % to its request rate over a sliding window, and fail at once when the budget is spent. Export the remaining budget as a gauge so that an exhausted budget shows on the service dashboard before callers notice.`;

describe('trainer and retrospective with save: true', () => {
  let sup: TestSupervisor;
  let client: Client;
  useTestSupervisor((started, connected) => ((sup = started), (client = connected)));

  /** A session with one call, so that it can be reviewed. */
  async function recordedSession(session: string): Promise<void> {
    await client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: 'the checkout test failed once and passed on retry', session_id: session } });
  }

  const drafts = (writer: string, reader?: string) => answerTrainer(sup, writer, reader);

  it('creates a note per drafted entry, which brain_query then finds, and a second run of the same call creates none', async () => {
    await recordedSession('loop-1');
    drafts(writerAnswer(FLAKY, WOMBAT));
    const before = await sup.deps.brain.count();
    const first = await client.callTool({ name: 'trainer', arguments: { session_id: 'loop-1', save: true } });
    expect(first.isError).toBeFalsy();
    expect(savedOf(first)).toEqual([
      { title: 'Quarantine intermittently failing tests within a day', outcome: 'created', path: 'testing/quarantine-intermittently-failing-tests-within-a-day.md' },
      { title: 'Bound every in-memory cache by entries and bytes', outcome: 'created', path: 'performance/bound-every-in-memory-cache-by-entries-and-bytes.md' },
    ]);
    expect(textOf(first)).toMatch(/^## Saved to the brain\n\n- created testing\/quarantine-intermittently-failing-tests-within-a-day\.md: "Quarantine/);
    // The consultation itself is still there after the list.
    expect(textOf(first)).toContain('## Knowledge entries');
    expect(await sup.deps.brain.count()).toBe(before + 2);

    const note = await sup.deps.brain.read('testing/quarantine-intermittently-failing-tests-within-a-day.md');
    expect(note.frontmatter).toMatchObject({ title: 'Quarantine intermittently failing tests within a day', type: 'pattern', domain: 'testing', tags: ['flaky-tests', 'quarantine', 'ci'], source: 'trainer', session_id: 'loop-1' });
    expect(note.body).toContain('## When it applies');
    const found = await client.callTool({ name: 'brain_query', arguments: { query: 'quarantine intermittently failing test' } });
    expect((found.structuredContent as { results: Array<{ path: string }> }).results[0]?.path).toBe('testing/quarantine-intermittently-failing-tests-within-a-day.md');

    // The session entry says what was saved (and that save was asked).
    const entries = await sup.sessionFiles!.read('loop-1');
    const logged = entries.at(-1)!;
    expect(logged.skill).toBe('trainer');
    expect(logged.arguments).toMatchObject({ save: 'true' });
    expect(logged.message).toContain('created performance/bound-every-in-memory-cache-by-entries-and-bytes.md');

    const second = await client.callTool({ name: 'trainer', arguments: { session_id: 'loop-1', save: true } });
    expect(savedOf(second).map((s) => [s.outcome, s.path])).toEqual([
      ['skipped', 'testing/quarantine-intermittently-failing-tests-within-a-day.md'],
      ['skipped', 'performance/bound-every-in-memory-cache-by-entries-and-bytes.md'],
    ]);
    expect(textOf(second)).toMatch(/skipped as a duplicate of testing\/quarantine-intermittently-failing-tests-within-a-day\.md \(similarity 1\)/);
    expect(await sup.deps.brain.count()).toBe(before + 2);
  });

  it('a writer that drafted no entry saves nothing, and says so', async () => {
    await recordedSession('loop-none');
    drafts('Nothing here passes the quality gate.\n\n0 entries ready for brain_write');
    const before = await sup.deps.brain.count();
    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'loop-none', save: true } });
    expect(result.isError).toBeFalsy();
    expect(savedOf(result)).toEqual([]);
    expect(textOf(result)).toMatch(/^## Saved to the brain\n\nNothing: the answer drafted no entry/);
    expect(await sup.deps.brain.count()).toBe(before);
  });

  it('without save, writes nothing', async () => {
    await recordedSession('loop-nosave');
    drafts(writerAnswer(FLAKY.replace('Quarantine intermittently failing tests within a day', 'A lesson that must not be saved')));
    const before = await sup.deps.brain.count();
    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'loop-nosave' } });
    expect(result.structuredContent).not.toHaveProperty('saved');
    expect(textOf(result)).not.toContain('Saved to the brain');
    expect(await sup.deps.brain.count()).toBe(before);
  });

  it('appends what an entry adds to the note it restates, with the note as read, and never makes a second copy', async () => {
    const existing = await sup.deps.brain.write(RETRY_BUDGETS);
    await recordedSession('loop-append');
    drafts(writerAnswer(RESTATING_RETRY_BUDGETS));
    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'loop-append', save: true } });
    const [saved] = savedOf(result);
    expect(saved).toMatchObject({ outcome: 'appended', path: 'api/retry-budgets.md' });
    expect(textOf(result)).toMatch(/appended to api\/retry-budgets\.md \(similarity 0\.\d+\): "Cap retries with a per-client budget"/);
    const note = await sup.deps.brain.read('api/retry-budgets.md');
    expect(note.sha256).not.toBe(existing.sha256);
    expect(note.body).toMatch(/### Added by trainer, \d{4}-\d\d-\d\d \(session loop-append\)\n\n- Export the remaining budget as a gauge/);
    // What the note said stays, once; what the entry restates is not repeated.
    expect(note.body.match(/fixed retry count/g)).toHaveLength(1);
    expect(note.body).not.toContain('Retrying each failed request');
    expect(await sup.deps.brain.search({ query: 'retry budget sliding window' })).toHaveLength(1);
  });

  it('checks the entries of one run against each other', async () => {
    await recordedSession('loop-twice');
    const title = 'Pin the toolchain version in one file';
    const entry = `# ${title}
type: pattern · domain: tooling · tags: toolchain, versions, reproducibility

## Lesson
When the toolchain version is written in several places, the local machine, the pipeline and the container drift apart and builds differ. Declare the version once, in a file every tool reads, and let the pipeline and the container take it from there.`;
    drafts(writerAnswer(entry, entry.replace(title, 'Declare the toolchain version once')));
    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'loop-twice', save: true } });
    expect(savedOf(result).map((s) => [s.outcome, s.path])).toEqual([
      ['created', 'tooling/pin-the-toolchain-version-in-one-file.md'],
      ['skipped', 'tooling/pin-the-toolchain-version-in-one-file.md'],
    ]);
  });

  it('retrospective saves its learnings as lessons', async () => {
    await recordedSession('loop-retro');
    sup.llm.behave(MODELS.planner, {
      kind: 'answer',
      text: `The session chased a flaky checkout test. It ended with a fake clock.

### A test that depends on the wall clock fails near midnight; inject a clock instead of reading the time
- **Context**: tests of expiry or scheduling logic that read the current time directly.
- **Evidence**: the debug call showed the checkout test failing once at 23:59 and passing on retry.
- **Recommendation**: pass a clock into the code under test and fix its time in the test.

1 learning`,
    });
    const result = await client.callTool({ name: 'retrospective', arguments: { session_id: 'loop-retro', save: true } });
    const [saved] = savedOf(result);
    expect(saved).toMatchObject({ outcome: 'created' });
    const note = await sup.deps.brain.read(saved!.path as string);
    expect(note.frontmatter).toMatchObject({ type: 'lesson', source: 'retrospective', session_id: 'loop-retro' });
    expect(note.title).toBe('A test that depends on the wall clock fails near midnight; inject a clock instead of reading the time');
    expect(note.body).toContain('- **Recommendation**: pass a clock into the code under test');
    expect(note.body).not.toContain('1 learning');
  });

  it('says which entries the brain refused, and still answers', async () => {
    await recordedSession('loop-refused');
    // A file where the entry's domain folder would go: the brain refuses to write under it.
    await writeFile(join(sup.brainDir, 'knowledge', 'blocked'), 'not a folder');
    drafts(
      writerAnswer(`# Quarantined tests need an owner and a deadline
type: pattern · domain: blocked · tags: ownership, deadlines

## Lesson
A quarantine without names and dates becomes a graveyard of disabled checks. Record who owns each quarantined case and the date by which it is repaired or deleted, and review the list weekly.`),
    );
    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'loop-refused', save: true } });
    expect(result.isError).toBeFalsy();
    expect(savedOf(result)).toEqual([{ title: 'Quarantined tests need an owner and a deadline', outcome: 'failed', error: expect.stringMatching(/^the brain refused it \(400\): .*"blocked" is a file, not a folder/) }]);
    expect(textOf(result)).toMatch(/- not saved: "Quarantined tests need an owner and a deadline": the brain refused it \(400\)/);
    expect(textOf(result)).toContain('READER: learning moments found');
    expect(await readFile(join(sup.brainDir, 'knowledge', 'blocked'), 'utf8')).toBe('not a folder');
  });
});

describe('save: true when the brain cannot be reached', () => {
  let sup: TestSupervisor;
  let client: Client;
  let service: TestService;
  let proxy: Awaited<ReturnType<typeof startBrainProxy>>;
  // The notes' routes cut at the socket, the session logs (team mode's, on the same service) still there: the trainer reads the session, then cannot save.
  beforeAll(async () => {
    service = await startService();
    proxy = await startBrainProxy(service.url, (path) => (path.startsWith('/sessions') ? 'forward' : 'drop'));
    sup = await startTestSupervisor({ INGEST_BASE_URL: proxy.url });
    client = await sup.connect();
  });
  afterAll(async () => {
    await sup.stop();
    await proxy.close();
    await service.stop();
  });

  it('answers with the consultation and says each entry was not saved', async () => {
    await client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: 'boom', session_id: 'offline' } });
    answerTrainer(sup, writerAnswer(FLAKY, WOMBAT));
    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'offline', save: true } });
    expect(result.isError).toBeFalsy();
    const saved = savedOf(result);
    expect(saved.map((s) => s.outcome)).toEqual(['failed', 'failed']);
    expect(saved[0]?.error).toMatch(/^the brain is unavailable: ingestion service at http:\/\/127\.0\.0\.1:\d+ unreachable/);
    expect(saved[1]?.error).toBe('not tried: the brain is unavailable');
    expect(textOf(result)).toContain('## Knowledge entries');
  });
});

describe('save: true against a separate ingestion service (team mode), with its token', () => {
  const TOKEN = 'team-ingest-token-for-the-loop';
  let service: TestService;
  let sup: TestSupervisor;
  beforeAll(async () => {
    service = await startService({ token: TOKEN });
    sup = await startTestSupervisor({ INGEST_BASE_URL: service.url, INGEST_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await sup.stop();
    await service.stop();
  });

  it("creates notes in the service's brain, appends to the note an entry restates, and a second run changes nothing", async () => {
    const client = await sup.connect();
    const written = await service.post('/write', RETRY_BUDGETS, { authorization: `Bearer ${TOKEN}` });
    expect(written.status).toBe(201);
    await client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: 'the retry storm took the cart down', session_id: 'team' } });
    answerTrainer(sup, writerAnswer(FLAKY, RESTATING_RETRY_BUDGETS));

    const first = await client.callTool({ name: 'trainer', arguments: { session_id: 'team', save: true } });
    expect(savedOf(first).map((s) => [s.outcome, s.path])).toEqual([
      ['created', 'testing/quarantine-intermittently-failing-tests-within-a-day.md'],
      ['appended', 'api/retry-budgets.md'],
    ]);
    const created = await readFile(join(service.knowledge, 'testing/quarantine-intermittently-failing-tests-within-a-day.md'), 'utf8');
    expect(created).toMatch(/^---\n[\s\S]*source: trainer[\s\S]*session_id: team\n[\s\S]*---\n/);
    const appended = await readFile(join(service.knowledge, 'api/retry-budgets.md'), 'utf8');
    expect(appended).toMatch(/### Added by trainer, \d{4}-\d\d-\d\d \(session team\)\n\n- Export the remaining budget as a gauge/);

    const before = await snapshot(service.knowledge);
    const second = await client.callTool({ name: 'trainer', arguments: { session_id: 'team', save: true } });
    expect(savedOf(second).map((s) => [s.outcome, s.path])).toEqual([
      ['skipped', 'testing/quarantine-intermittently-failing-tests-within-a-day.md'],
      ['skipped', 'api/retry-budgets.md'],
    ]);
    expect(await snapshot(service.knowledge)).toEqual(before);
  });
});
