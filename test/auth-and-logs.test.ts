import { afterEach, describe, expect, it } from 'vitest';
import { startService, type TestService } from './support/service.js';

const TOKEN = 'test-token-0123456789abcdef';
let service: TestService;
afterEach(async () => {
  await service.stop();
});

describe('bearer token', () => {
  it('when INGEST_TOKEN is set, requests without the right token get 401 and change nothing', async () => {
    service = await startService({ token: TOKEN });
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of attempts) {
      const response = await fetch(`${service.url}/write`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ content: 'x', filename: 'x' }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.json()).toEqual({ error: expect.stringMatching(/bearer token/) });
    }
    expect((await service.get('/notes/x.md')).status).toBe(401);
    const ok = await service.post('/write', { content: 'x', filename: 'x' }, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(201);
    const query = await service.post('/query', { query: 'x' }, { authorization: `bearer ${TOKEN}` });
    expect(query.status).toBe(200);
  });

  it('health and readiness probes need no token', async () => {
    service = await startService({ token: TOKEN });
    expect((await service.get('/health')).status).toBe(200);
    expect((await service.get('/ready')).status).toBe(200);
  });

  it('without INGEST_TOKEN no token is needed', async () => {
    service = await startService();
    expect((await service.post('/write', { content: 'x' })).status).toBe(201);
  });
});

describe('logs', () => {
  it('are JSON with a request id, echoed to the caller, and never contain the authorization header', async () => {
    service = await startService({ token: TOKEN });
    const response = await fetch(`${service.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-request-id': 'trace-42' },
      body: JSON.stringify({ query: 'anything' }),
    });
    expect(response.headers.get('x-request-id')).toBe('trace-42');
    await service.post('/query', { query: 'x' }, { authorization: 'Bearer a-wrong-secret-guess' });
    const lines = service.logs().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => line.reqId === 'trace-42')).toBe(true);
    expect(service.logs()).not.toContain(TOKEN);
    expect(service.logs()).not.toContain('a-wrong-secret-guess');
  });
});
