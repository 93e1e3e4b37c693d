import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../ingestion/app.js';
import { Brain } from '../ingestion/brain.js';
import { createLogger } from '../src/log.js';

let dir: string;
let brain: Brain;
let app: ReturnType<typeof buildApp>;
let url: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-loading-'));
  brain = await Brain.open(dir, createLogger('silent'));
  app = buildApp({ brain, logger: createLogger('silent') });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterEach(async () => {
  await app.close();
  await brain.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) =>
  fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('while the index is still loading', () => {
  it('/health answers, /ready and /query say 503 with Retry-After, and writes are accepted', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/ready`)).status).toBe(503);
    const query = await post('/query', { query: 'anything' });
    expect(query.status).toBe(503);
    expect(query.headers.get('retry-after')).toBe('1');
    expect(((await query.json()) as { error: string }).error).toMatch(/still loading.*retry/);
    expect((await post('/write', { content: 'written early', filename: 'early' })).status).toBe(201);

    await brain.reconcile();
    expect(await (await fetch(`${url}/ready`)).json()).toEqual({ status: 'ready', notes: 1, generation: expect.stringMatching(/^[0-9a-f]+\.\d+$/), session_logs: expect.stringMatching(/^[0-9a-f]+\.\d+$/) });
    const found = (await (await post('/query', { query: 'early' })).json()) as { results: Array<{ path: string }> };
    expect(found.results.map((r) => r.path)).toEqual(['early.md']);
  });
});
