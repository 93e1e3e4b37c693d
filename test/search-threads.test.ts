/**
 * Searches run in reader threads (ingestion/index-thread.ts), changes in a writer thread: the
 * service's event loop stays free for health checks, writes and other calls while they work.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Brain, BrainError } from '../ingestion/index.js';

const logger = pino({ level: 'silent' });
let dir: string;
let brain: Brain | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-threads-'));
  await mkdir(join(dir, 'knowledge'));
  // Enough notes sharing words that a prompt-length search takes the thread a while.
  await Promise.all(
    Array.from({ length: 400 }, (_, i) =>
      writeFile(join(dir, 'knowledge', `note-${i}.md`), `# Retry ${i}\n\nretry the consumer with backoff after timeout ${i % 7} and log the error ${i % 11}\n`),
    ),
  );
});

afterEach(async () => {
  await brain?.close();
  brain = undefined;
  await rm(dir, { recursive: true, force: true });
});

const prompt = 'retry consumer backoff timeout error log 3 5 7 after with and the';

describe('searches in threads of their own', () => {
  it('a search does not hold the event loop: other work runs before its answer arrives', async () => {
    brain = await Brain.open(dir, logger);
    await brain.reconcile();
    let ranMeanwhile = false;
    setImmediate(() => (ranMeanwhile = true));
    const hits = await brain.search({ query: prompt, limit: 5 });
    expect(hits).toHaveLength(5);
    expect(ranMeanwhile).toBe(true);
  });

  it('answers many searches at once, each with its own results', async () => {
    brain = await Brain.open(dir, logger);
    await brain.reconcile();
    const opened = brain;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => opened.search({ query: `retry ${i}`, limit: 1 })));
    answers.forEach((hits, i) => expect(hits[0]?.title).toBe(`Retry ${i}`));
  });

  it('refuses searches past the waiting limit with 503 and the limit named, and answers the others', async () => {
    brain = await Brain.open(dir, logger, { threads: 1, maxWaiting: 2 });
    await brain.reconcile();
    const opened = brain;
    await opened.search({ query: 'retry 1', limit: 1 }); // the reader is up and free
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => opened.search({ query: prompt, limit: 5 })));
    // One runs, two wait, three are refused: all six were asked before any answer could arrive.
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as BrainError);
    expect(refused).toHaveLength(3);
    for (const error of refused) {
      expect(error).toBeInstanceOf(BrainError);
      expect(error.status).toBe(503);
      expect(error.message).toBe('too many searches at once (2 waiting); retry shortly');
    }
    // Once the queue drains, searches are answered again.
    expect(await opened.search({ query: 'retry 3', limit: 1 })).toHaveLength(1);
  });

  it('a note written while searches run is found by the next search', async () => {
    brain = await Brain.open(dir, logger);
    await brain.reconcile();
    const opened = brain;
    const running = Array.from({ length: 8 }, () => opened.search({ query: prompt, limit: 5 }));
    await opened.write({ content: 'the zanzibar incident', filename: 'zanzibar', mode: 'create' });
    await Promise.all(running);
    expect((await opened.search({ query: 'zanzibar', limit: 5 })).map((hit) => hit.path)).toEqual(['zanzibar.md']);
  });
});
