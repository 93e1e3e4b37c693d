/**
 * Issue 8 items 1 and 2: the token and Host/Origin checks follow the route a request reaches, not
 * how its path is spelled, and the brain service refuses requests a web page could make through
 * the user's browser (DNS rebinding).
 */
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../ingestion/app.js';
import { Brain } from '../ingestion/brain.js';
import { startIngestion, type RunningIngestion } from '../ingestion/service.js';
import { ingestionConfig } from '../ingestion/config.js';
import { ConfigError } from '../common/env.js';
import { supervisorConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { snapshot, startService, type TestService } from './support/service.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor | undefined;
let service: TestService | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await sup?.stop();
  await service?.stop();
  sup = undefined;
  service = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'attacker', version: '1' } },
};

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path and headers exactly as given (fetch would normalise both). */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(base + '/', { method, path, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    // Response streams (SSE) may stay open: end the request and read what arrives within a moment.
    request.setTimeout(2_000, () => request.destroy());
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Ways to spell /mcp (or /write) that a router may or may not send to the same handler. */
function spellings(name: string): string[] {
  const first = name[0] as string;
  const hex = (c: string) => `%${c.charCodeAt(0).toString(16)}`;
  return [
    `/${name}`,
    `/${hex(first)}${name.slice(1)}`,
    `/${hex(first).toUpperCase()}${name.slice(1)}`,
    `/${[...name].map(hex).join('')}`,
    `//${name}`,
    `/${name}/`,
    `/${name}?x=1`,
    `/${name.toUpperCase()}`,
    `/./${name}`,
    `/x/../${name}`,
    `/${name};x=1`,
    `/${name}%2f`,
    `/%2f${name}`,
    `/health/../${name}`,
    `/%68ealth/../${name}`,
    `/health%2f..%2f${name}`,
    '/no-such-route',
  ];
}

describe('MCP server: every route but the public ones is guarded, however its path is spelled', () => {
  const token = 'route-guard-token-0123456789';
  const attacker = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', host: 'evil.example:3200', origin: 'http://evil.example:3200' };

  it('no spelling of /mcp initialises a session without the token, or from a foreign Host', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_TOKEN: token });
    const base = sup.mcpUrl.replace(/\/mcp$/, '');
    for (const path of spellings('mcp')) {
      const noToken = await raw(base, 'POST', path, { ...attacker, host: new URL(base).host, origin: base }, initialize);
      expect({ path, status: noToken.status }).toEqual({ path, status: noToken.status >= 400 && noToken.status < 500 ? noToken.status : 'a 4xx' });
      expect({ path, session: noToken.headers['mcp-session-id'] }).toEqual({ path, session: undefined });
      const foreign = await raw(base, 'POST', path, { ...attacker, authorization: `Bearer ${token}` }, initialize);
      expect({ path, status: foreign.status }).toEqual({ path, status: foreign.status >= 400 && foreign.status < 500 ? foreign.status : 'a 4xx' });
      expect({ path, session: foreign.headers['mcp-session-id'] }).toEqual({ path, session: undefined });
    }
    expect(sup.sessionCount()).toBe(0);
  });

  it('the routed /mcp answers 403 to /%6dcp with no token or a foreign Host, and works with both right', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_TOKEN: token });
    const base = sup.mcpUrl.replace(/\/mcp$/, '');
    const local = { ...attacker, host: new URL(base).host, origin: base };
    const noToken = await raw(base, 'POST', '/%6dcp', local, initialize);
    expect(noToken.status).toBe(403);
    expect(noToken.body).toContain('wrong or missing bearer token');
    const foreign = await raw(base, 'POST', '/%6dcp', { ...attacker, authorization: `Bearer ${token}` }, initialize);
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain('Host \\"evil.example\\" is not allowed (set SUPERVISOR_ALLOWED_HOSTS to accept it)');
    const allowed = await raw(base, 'POST', '/%6dcp', { ...local, authorization: `Bearer ${token}` }, initialize);
    expect(allowed.status).toBe(200);
  });

  it('/health and /metrics stay open to probes without a token, and name nothing else', async () => {
    sup = await startTestSupervisor({ SUPERVISOR_TOKEN: token });
    const base = sup.mcpUrl.replace(/\/mcp$/, '');
    const health = await raw(base, 'GET', '/health', { host: 'pod-10-0-0-7:3200' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', sessions: 0 });
    expect((await raw(base, 'GET', '/metrics', { host: '10.0.0.7:3200' })).status).toBe(200);
    // Unmatched routes are guarded, not public.
    expect((await raw(base, 'GET', '/health/', { host: new URL(base).host })).status).toBe(403);
    expect((await raw(base, 'GET', '/nothing', { host: new URL(base).host })).status).toBe(403);
  });
});

describe('ingestion service: token and Host/Origin checks by the routed path', () => {
  it('no spelling of /write writes a note without the token', async () => {
    service = await startService({ token: 'ingest-token-0123456789abc' });
    const before = await snapshot(service.knowledge);
    const base = service.url;
    for (const path of spellings('write')) {
      const response = await raw(base, 'POST', path, { 'content-type': 'application/json', host: new URL(base).host }, { content: 'planted', filename: 'planted' });
      expect({ path, status: response.status }).toEqual({ path, status: response.status >= 400 && response.status < 500 ? response.status : 'a 4xx' });
    }
    expect((await raw(base, 'POST', '/%77rite', { 'content-type': 'application/json', host: new URL(base).host }, { content: 'x' })).status).toBe(401);
    expect(await snapshot(service.knowledge)).toEqual(before);
    // The probes stay open.
    expect((await raw(base, 'GET', '/health', { host: new URL(base).host })).status).toBe(200);
    expect((await raw(base, 'GET', '/ready', { host: new URL(base).host })).status).toBe(200);
    expect((await raw(base, 'GET', '/metrics', { host: new URL(base).host })).status).toBe(200);
  });

  it('a web page cannot plant notes: a foreign Host or Origin gets 403 naming INGEST_ALLOWED_HOSTS, and nothing is written', async () => {
    service = await startService();
    const before = await snapshot(service.knowledge);
    const base = service.url;
    const json = { 'content-type': 'application/json' };
    const rebound = await raw(base, 'POST', '/write', { ...json, host: 'evil.example:3300', origin: 'http://evil.example:3300' }, { content: 'planted' });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toEqual({ error: 'forbidden: Host "evil.example" is not allowed (set INGEST_ALLOWED_HOSTS to accept it)' });
    const crossSite = await raw(base, 'POST', '/write', { ...json, host: new URL(base).host, origin: 'https://evil.example' }, { content: 'planted' });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body)).toEqual({ error: 'forbidden: Origin "https://evil.example" is not allowed' });
    expect((await raw(base, 'POST', '/query', { ...json, host: 'evil.example' }, { query: 'x' })).status).toBe(403);
    expect((await raw(base, 'GET', '/notes/x.md', { host: 'evil.example' })).status).toBe(403);
    expect(await snapshot(service.knowledge)).toEqual(before);
    // Loopback names and a loopback Origin still work.
    expect((await service.post('/write', { content: 'mine', filename: 'mine' }, { origin: 'http://localhost:5173' })).status).toBe(201);
  });

  it('INGEST_ALLOWED_HOSTS admits the names it lists', async () => {
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-guard-'));
    const config = ingestionConfig({ INGEST_PORT: '0', INGEST_BRAIN_DIR: brainDir, INGEST_ALLOWED_HOSTS: 'brain.team.internal, Other.Example' });
    expect(config.allowedHosts).toEqual(['brain.team.internal', 'other.example']);
    const running: RunningIngestion = await startIngestion(config, createLogger('silent'));
    cleanups.push(() => running.close(), () => rm(brainDir, { recursive: true, force: true }));
    await running.loaded;
    const json = { 'content-type': 'application/json' };
    expect((await raw(running.url, 'POST', '/query', { ...json, host: 'brain.team.internal:3300' }, { query: 'x' })).status).toBe(200);
    expect((await raw(running.url, 'POST', '/query', { ...json, host: 'evil.example' }, { query: 'x' })).status).toBe(403);
  });

  it('team mode (bound to 0.0.0.0, as deploy/base sets it): the MCP server reaches it by its Service name, a browser Origin still must match', async () => {
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-guard-'));
    const brain = await Brain.open(brainDir, createLogger('silent'));
    const app = buildApp({ brain, logger: createLogger('silent'), bindHost: '0.0.0.0' });
    cleanups.push(async () => {
      await app.close();
      await brain.close();
      await rm(brainDir, { recursive: true, force: true });
    });
    await brain.reconcile();
    const query = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/query', headers: { 'content-type': 'application/json', ...headers }, payload: { query: 'x' } });
    expect((await query({ host: 'supervisor-ingestion:3300' })).statusCode).toBe(200);
    expect((await query({ host: 'supervisor-ingestion:3300', origin: 'http://evil.example' })).statusCode).toBe(403);
  });

  it('bad INGEST_ALLOWED_HOSTS or SUPERVISOR_MAX_SESSIONS values stop the start with one line naming them', () => {
    expect(() => ingestionConfig({ INGEST_ALLOWED_HOSTS: 'good.example,bad host/' })).toThrow(new ConfigError('INGEST_ALLOWED_HOSTS must list host names separated by commas (got "good.example,bad host/")'));
    expect(() => supervisorConfig({ SUPERVISOR_MAX_SESSIONS: '0' })).toThrow(new ConfigError('SUPERVISOR_MAX_SESSIONS must be from 1 to 10000 (got "0")'));
    expect(() => supervisorConfig({ SUPERVISOR_MAX_SESSIONS: 'many' })).toThrow(new ConfigError('SUPERVISOR_MAX_SESSIONS must be a whole number (got "many")'));
    expect(() => supervisorConfig({ SUPERVISOR_MAX_SESSIONS: '1000000' })).toThrow(new ConfigError('SUPERVISOR_MAX_SESSIONS must be from 1 to 10000 (got "1000000")'));
    expect(supervisorConfig({}).maxSessions).toBe(200);
  });
});
