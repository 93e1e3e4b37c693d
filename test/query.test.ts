import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from './support/service.js';

let service: TestService;

const NOTES = [
  { filename: 'flaky-ci', title: 'Flaky tests in CI', type: 'pattern', domain: 'testing', tags: ['ci', 'flaky'],
    content: 'Tests that fail intermittently in CI usually share state or depend on timing. Quarantine them, then fix the shared database fixture or the sleep.' },
  { filename: 'db-timeouts', title: 'Database timeouts', type: 'gotcha', domain: 'database', tags: 'postgres, timeouts',
    content: 'A slow database query blocks the pool. Database connections are limited; database load spikes when the cache is cold. Database, database, database.' },
  { filename: 'retry', title: 'Retry with backoff', type: 'pattern', domain: 'api', tags: ['http'],
    content: 'When an upstream answers 429 or 503, retries should back off exponentially with jitter and stop after a bounded total wait.' },
  { filename: 'review-errors', title: 'Swallowed errors', type: 'correction', domain: 'review', tags: ['errors'],
    content: 'An empty catch block hides the failure. Log it with context or let it propagate; never swallow errors silently.' },
  { filename: 'mentions-backoff', title: 'Meeting notes', type: 'decision', domain: 'api', tags: [],
    content: 'We talked about backoff, backoff and more backoff in the meeting, and lunch.' },
  { filename: 'idempotency', title: 'Idempotency', type: 'pattern', domain: 'api', tags: ['idempotency'],
    content: 'Idempotency: give each request a key that the server remembers.' },
  { filename: 'charges', title: 'Charge handler notes', type: 'gotcha', domain: 'api', tags: [],
    content: `A payment webhook can arrive twice when the sender will retry; record each delivery so that a duplicate is dropped. ${'Other operational details follow. '.repeat(80)}` },
  { filename: 'long', title: 'A long note', type: 'howto', domain: 'deploy', tags: ['k3s'],
    content: `${'Filler sentence about nothing in particular. '.repeat(60)}The rollback procedure is to revert the image tag commit. ${'More filler text follows here. '.repeat(60)}` },
];

beforeAll(async () => {
  service = await startService();
  for (const note of NOTES) expect((await service.post('/write', note)).status).toBe(201);
  for (let i = 0; i < 8; i++) await service.post('/write', { content: `common words note ${i} about ci`, filename: `filler-${i}` });
});
afterAll(async () => {
  await service.stop();
});

const search = async (body: Record<string, unknown>) => {
  const response = await service.post('/query', body);
  expect(response.status).toBe(200);
  return response.body.results as Array<{ path: string; title: string; excerpt: string; score: number }>;
};

describe('POST /query ranking', () => {
  it('a word in the title counts for more than the same word repeated in a body', async () => {
    const results = await search({ query: 'backoff' });
    expect(results.map((r) => r.path)).toEqual(['retry.md', 'mentions-backoff.md']);
  });

  it('a prompt-length query ranks the note that matches most of its words first', async () => {
    const prompt =
      'How should I deal with tests that fail intermittently in CI when they share a database fixture and everything is slow?';
    const results = await search({ query: prompt });
    expect(results[0]?.path).toBe('flaky-ci.md');
    // the note that only repeats "database" comes after it, though its bm25 for that one word is high
    expect(results.map((r) => r.path).indexOf('db-timeouts.md')).toBeGreaterThan(0);
  });

  it('of two notes, the one matching four of five prompt words beats one matching a rare word in its title', async () => {
    // plain bm25 puts idempotency.md first: its one word is rare and in the title, which weighs 10×
    const results = await search({ query: 'idempotency for a retried payment webhook without a duplicate' });
    expect(results.slice(0, 2).map((r) => r.path)).toEqual(['charges.md', 'idempotency.md']);
  });

  it('words match their other forms (retrying finds retries)', async () => {
    expect((await search({ query: 'retrying' }))[0]?.path).toBe('retry.md');
  });

  it('each excerpt comes from its own note', async () => {
    const results = await search({ query: 'idempotency payment webhook retries' });
    expect(results.length).toBeGreaterThan(2);
    for (const hit of results) {
      const note = await service.get(`/notes/${hit.path}`);
      expect(note.body.body.replace(/\s+/g, ' ')).toContain(hit.excerpt.replace(/…/g, '').trim().slice(0, 40));
    }
  });

  it('results come best first, with scores that are numbers, higher better', async () => {
    const results = await search({ query: 'database errors backoff' });
    expect(results.length).toBeGreaterThan(1);
    const scores = results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => typeof s === 'number' && s > 0)).toBe(true);
  });

  it('a query of only common words still answers', async () => {
    expect((await search({ query: 'then them' })).map((r) => r.path)).toEqual(['flaky-ci.md']);
  });

  it('query syntax is taken as plain words, never as an FTS expression', async () => {
    for (const query of ['title:backoff', '"unbalanced', 'a AND OR NOT', 'NEAR(x y)', '*', 'col:*^', "it's O'Brien's"]) {
      const response = await service.post('/query', { query });
      expect(response.status, query).toBe(200);
    }
    expect((await search({ query: 'title:backoff' }))[0]?.path).toBe('retry.md');
  });
});

describe('POST /query filters, limit and excerpt', () => {
  it('filters by type and domain, case-insensitively', async () => {
    expect((await search({ query: 'backoff', type: 'Pattern' })).map((r) => r.path)).toEqual(['retry.md']);
    expect((await search({ query: 'backoff', domain: 'api', type: 'decision' })).map((r) => r.path)).toEqual(['mentions-backoff.md']);
    expect(await search({ query: 'backoff', domain: 'testing' })).toEqual([]);
  });

  it('filters by tags given as a list or a comma-separated string; a note must carry all of them', async () => {
    expect((await search({ query: 'database', tags: ['POSTGRES'] })).map((r) => r.path)).toEqual(['db-timeouts.md']);
    expect((await search({ query: 'database', tags: 'postgres, timeouts' })).map((r) => r.path)).toEqual(['db-timeouts.md']);
    expect(await search({ query: 'database', tags: ['postgres', 'ci'] })).toEqual([]);
    expect((await search({ query: 'tests', tags: 'ci,flaky' })).map((r) => r.path)).toEqual(['flaky-ci.md']);
  });

  it('returns 5 results by default and up to the limit asked', async () => {
    expect(await search({ query: 'ci' })).toHaveLength(5);
    expect(await search({ query: 'ci', limit: 2 })).toHaveLength(2);
    expect((await search({ query: 'ci', limit: 50 })).length).toBe(9); // every note that mentions ci
  });

  it('the excerpt is the passage around the match, at most 300 characters, on one line', async () => {
    const [hit] = await search({ query: 'rollback procedure' });
    expect(hit?.path).toBe('long.md');
    expect(hit?.excerpt).toContain('The rollback procedure is to revert the image tag commit.');
    expect(hit?.excerpt.length).toBeLessThanOrEqual(300);
    expect(hit?.excerpt).not.toMatch(/\n/);
  });

  it('a note without a title in its frontmatter is titled by its heading', async () => {
    await service.post('/write', { content: '# Heading as title\n\nokapi', filename: 'headed' });
    expect((await search({ query: 'okapi' }))[0]?.title).toBe('Heading as title');
  });

  it('a query mixing plain and accented or non-Latin words finds and excerpts by each of them', async () => {
    const content = `${'Unrelated opening words here. '.repeat(30)}The naïve résumé parser kept retrying on 日本語 input. ${'Closing words. '.repeat(30)}`;
    expect((await service.post('/write', { content, filename: 'mixed-scripts' })).status).toBe(201);
    for (const query of ['naive parsers retried', 'résumé 日本語', 'zebra naïve quokka']) {
      const [first] = await search({ query });
      expect(first?.path).toBe('mixed-scripts.md');
      expect(first?.excerpt).toContain('naïve résumé parser kept retrying');
    }
  });
});
