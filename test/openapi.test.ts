/**
 * GET /openapi.json: the ingestion service publishes its contract as OpenAPI, generated from the zod
 * schemas its routes validate with. The document is checked with an OpenAPI schema validator, and its
 * request schemas, rebuilt from the published JSON alone, must accept and refuse what the service does.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_QUERY_LIMIT, QueryBody, WriteBody } from '../common/brain-contract.js';
import { startService, type TestService } from './support/service.js';

const token = 'openapi-test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${token}` };

let service: TestService;
let document: any;
beforeAll(async () => {
  service = await startService({ token });
  const answer = await service.get('/openapi.json', auth);
  expect(answer.status).toBe(200);
  document = answer.body;
});
afterAll(async () => {
  await service.stop();
});

/** The JSON schema of a route's request body, as published. */
const requestSchema = (path: string) => document.paths[path].post.requestBody.content['application/json'].schema;
/** The keys a caller must send, as the contract's zod object says. */
const requiredKeys = (shape: Record<string, z.ZodType>) => Object.keys(shape).filter((key) => !shape[key]!.isOptional());

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document naming every route, the token-guarded ones marked so', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');

    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/write', '/query', '/notes', '/notes/{path}', '/health', '/ready']));
    expect(document.paths['/notes'].get.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`).sort()).toEqual(['query:after', 'query:limit', 'query:prefix']);
    expect(document.paths['/notes'].get.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/notes/{path}'].get.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'path', required: true })]);
    const bearer = [{ bearer: [] }];
    expect(document.paths['/write'].post.security).toEqual(bearer);
    expect(document.paths['/query'].post.security).toEqual(bearer);
    expect(document.paths['/health'].get.security).toEqual([]);
    expect(document.paths['/ready'].get.security).toEqual([]);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('is behind the token, like /write', async () => {
    const refused = await service.get('/openapi.json');
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: expect.stringContaining('bearer token') });
  });

  it("publishes the contract's required fields and the default search limit the service applies", async () => {
    expect(requestSchema('/write').required).toEqual(requiredKeys(WriteBody.shape));
    expect(requestSchema('/write').required).toEqual(['content']);
    expect(requestSchema('/query').required).toEqual(requiredKeys(QueryBody.shape));
    expect(requestSchema('/query').properties.limit.default).toBe(DEFAULT_QUERY_LIMIT);

    for (let i = 0; i < DEFAULT_QUERY_LIMIT + 2; i++) {
      expect((await service.post('/write', { content: `Idempotency keys on webhook ${i}.`, filename: `limit/${i}` }, auth)).status).toBe(201);
    }
    const found = await service.post('/query', { query: 'idempotency webhook' }, auth);
    expect(found.body.results).toHaveLength(requestSchema('/query').properties.limit.default);
  });

  it('describes the answers the service gives: written, found, read, conflict, not found', async () => {
    /** The published schema of `method path`'s answer with `status`, rebuilt from the JSON alone. */
    const answerSchema = (method: string, path: string, status: number) =>
      z.fromJSONSchema(document.paths[path][method].responses[String(status)].content['application/json'].schema);
    const matches = (method: string, path: string, answer: { status: number; body: unknown }) =>
      expect(answerSchema(method, path, answer.status).safeParse(answer.body).error?.issues ?? []).toEqual([]);

    const note = { content: 'Money is integer cents.', filename: 'answers/cents', title: 'Cents', tags: ['money'] };
    matches('post', '/write', await service.post('/write', note, auth));
    const conflict = await service.post('/write', note, auth);
    expect(conflict.status).toBe(409);
    matches('post', '/write', conflict);
    matches('post', '/write', await service.post('/write', { ...note, mode: 'append' }, auth));
    matches('post', '/query', await service.post('/query', { query: 'cents' }, auth));
    matches('get', '/notes/{path}', await service.get('/notes/answers/cents.md', auth));
    const missing = await service.get('/notes/answers/none.md', auth);
    expect(missing.status).toBe(404);
    matches('get', '/notes/{path}', missing);
    matches('get', '/ready', await service.get('/ready'));
    matches('get', '/notes', await service.get('/notes?prefix=answers/&limit=1', auth));
    const badListing = await service.get('/notes?limit=0', auth);
    expect(badListing.status).toBe(400);
    matches('get', '/notes', badListing);
    const stale = await service.post('/write', { ...note, mode: 'overwrite', expected_sha256: '0'.repeat(64) }, auth);
    expect(stale.status).toBe(409);
    expect(stale.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    matches('post', '/write', stale);
    matches('get', '/health', await service.get('/health'));
  });

  const writes: Array<[string, unknown]> = [
    ['a note', { content: 'Prices are integer cents.' }],
    ['every field', { content: 'Retry with jitter.', filename: 'api/retry', mode: 'overwrite', title: 'Retry', type: 'pattern', domain: 'api', tags: ['http'] }],
    ['comma-separated tags and a key of its own', { content: 'Own key.', tags: 'a, b', reviewed_by: 'ana' }],
    ['no content', { title: 'Empty' }],
    ['content that is a number', { content: 42 }],
    ['an unknown mode', { content: 'x', mode: 'replace' }],
    ['tags that are a number', { content: 'x', tags: 5 }],
    ['a title with a line break', { content: 'x', title: 'two\nlines' }],
    ['a title over 300 characters', { content: 'x', title: 't'.repeat(301) }],
    ['more than 50 tags', { content: 'x', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }],
    ['an expected_sha256 of 63 hex digits', { content: 'x', filename: 'api/retry', mode: 'overwrite', expected_sha256: 'a'.repeat(63) }],
    ['an expected_sha256 that is not hex', { content: 'x', filename: 'api/retry', mode: 'overwrite', expected_sha256: 'z'.repeat(64) }],
    ['an expected_sha256 of the right form', { content: 'x', filename: 'api/retry', mode: 'overwrite', expected_sha256: 'A'.repeat(64) }],
  ];
  const queries: Array<[string, unknown]> = [
    ['a query', { query: 'cents' }],
    ['the largest limit and filters', { query: 'cents', limit: 50, type: 'pattern', domain: 'api', tags: ['http'] }],
    ['no query', { limit: 3 }],
    ['a query that is a number', { query: 7 }],
    ['a limit over 50', { query: 'x', limit: 51 }],
    ['a limit of 0', { query: 'x', limit: 0 }],
    ['a fractional limit', { query: 'x', limit: 1.5 }],
  ];

  it.each([...writes.map(([what, body]) => ['/write', what, body] as const), ...queries.map(([what, body]) => ['/query', what, body] as const)])(
    'its schema for %s accepts or refuses %s as the service does',
    async (path, _what, body) => {
      const published = z.fromJSONSchema(requestSchema(path));
      const answer = await service.post(path, body, auth);
      expect(answer.status === 400 ? 'refused' : 'accepted').toBe(published.safeParse(body).success ? 'accepted' : 'refused');
    },
  );
});
