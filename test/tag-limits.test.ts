/**
 * The tag limits — at most 50 tags of at most 100 characters — hold however the tags are spelt: a
 * list, or one comma-separated string, which is split as notes' tags are (at commas, trimmed, a
 * leading # dropped, empty ones left out). Over HTTP (POST /write, POST /query) and over MCP
 * (brain_write, brain_query) alike, a refusal names the limit. A query once took a string of 1,000
 * tags and answered 500; a write once stored it. Tags written in a write's content, in its own
 * frontmatter, are held to the same limits.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from './support/service.js';
import { useTestSupervisor } from './support/supervisor.js';

const tagNames = (count: number) => Array.from({ length: count }, (_, i) => `tag${i}`);
/** 1,000 tags in one string of under 2,000 characters. */
const THOUSAND = Array.from({ length: 1000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(',');
const TOO_MANY = /tags must name at most 50 tags, as a list or as a comma-separated string/;
const TOO_LONG = /tags "y{20}…" is 101 characters long: a tag may have at most 100/;

describe('over HTTP', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startService();
  });
  afterAll(async () => {
    await service.stop();
  });

  it('POST /query refuses a string of 1,000 tags with 400 naming the limit, not 500', async () => {
    expect(THOUSAND.length).toBeLessThanOrEqual(2000);
    const answer = await service.post('/query', { query: 'retry', tags: THOUSAND });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(TOO_MANY);
    expect(answer.body.error).toContain('(got 1000)');
  });

  it.each([
    ['a string of 51 tags', tagNames(51).join(', '), TOO_MANY],
    ['a list of 51 tags', tagNames(51), TOO_MANY],
    ['a string holding a tag of 101 characters', `short, ${'y'.repeat(101)}`, TOO_LONG],
  ])('POST /write and POST /query refuse %s with 400 naming the limit, and write nothing', async (_what, tags, says) => {
    const write = await service.post('/write', { content: 'A note with too many tags.', filename: 'tagged/too-many', tags });
    expect(write.status).toBe(400);
    expect(write.body.error).toMatch(says);
    expect((await service.get('/notes/tagged/too-many.md')).status).toBe(404);
    const query = await service.post('/query', { query: 'retry', tags });
    expect(query.status).toBe(400);
    expect(query.body.error).toMatch(says);
  });

  it.each([
    ['a YAML list of 51', `tags: [${tagNames(51).join(', ')}]`],
    ['a string of 1,000', `tags: "${THOUSAND}"`],
  ])("POST /write refuses tags in the content's own frontmatter over the limit (%s) with 400, and writes nothing", async (_what, yaml) => {
    const write = await service.post('/write', { content: `---\n${yaml}\n---\nA note tagged in its own frontmatter.`, filename: 'tagged/in-content' });
    expect(write.status).toBe(400);
    expect(write.body.error).toMatch(/^content: its frontmatter's tags must name at most 50 tags, as a list or as a comma-separated string \(got (51|1000)\)$/);
    expect((await service.get('/notes/tagged/in-content.md')).status).toBe(404);
  });

  it('counts the tags a string names as notes read them: empty pieces and a leading # do not count, 50 pass', async () => {
    const fifty = `${tagNames(50).map((t, i) => (i % 2 === 0 ? `#${t}` : ` ${t} `)).join(',')}, , ,`;
    const write = await service.post('/write', { content: 'Retry with backoff.', filename: 'tagged/fifty', tags: fifty });
    expect(write.status).toBe(201);
    const note = await service.get('/notes/tagged/fifty.md');
    expect(note.body.tags).toEqual(tagNames(50));
    const query = await service.post('/query', { query: 'retry', tags: fifty });
    expect(query.status).toBe(200);
    expect(query.body.results.map((r: { path: string }) => r.path)).toEqual(['tagged/fifty.md']);
  });
});

describe('over MCP', () => {
  let client: Client;
  useTestSupervisor((_started, connected) => (client = connected));
  type CallResult = Awaited<ReturnType<Client['callTool']>>;
  const textOf = (result: CallResult) => (result.content as Array<{ text: string }>)[0]?.text ?? '';

  it('brain_query refuses a string of 1,000 tags with a tool error naming the limit', async () => {
    const result = await client.callTool({ name: 'brain_query', arguments: { query: 'retry', tags: THOUSAND } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(TOO_MANY);
  });

  it.each([
    ['a string of 51 tags', tagNames(51).join(','), TOO_MANY],
    ['a list of 51 tags', tagNames(51), TOO_MANY],
    ['a string holding a tag of 101 characters', `short,${'y'.repeat(101)}`, TOO_LONG],
  ])('brain_write and brain_query refuse %s naming the limit', async (_what, tags, says) => {
    const write = await client.callTool({ name: 'brain_write', arguments: { content: 'A note with too many tags.', filename: 'tagged/too-many', tags } });
    expect(write.isError).toBe(true);
    expect(textOf(write)).toMatch(says);
    const query = await client.callTool({ name: 'brain_query', arguments: { query: 'retry', tags } });
    expect(query.isError).toBe(true);
    expect(textOf(query)).toMatch(says);
  });
});
