/**
 * GET and DELETE on /mcp, as Claude's clients send them. They are picky: a sessionless GET answered
 * 400 made Claude Desktop give up, Claude Code 2.1.84+ opened a GET before any POST, 2.1.226 took a
 * 200 JSON answer to GET as fatal. The spec's answers are pinned here: no session, no stream (405,
 * `Allow: POST`); a session that expired or never was is 404, so the client starts a new one; a
 * session's GET is its event stream; DELETE ends the session. Without the token, every one is 403
 * first and says nothing more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

const TOKEN = 'get-delete-test-token';
let sup: TestSupervisor;

beforeAll(async () => {
  sup = await startTestSupervisor({ SUPERVISOR_TOKEN: TOKEN });
});
afterAll(async () => {
  await sup.stop();
});

const AUTH = { authorization: `Bearer ${TOKEN}` };

async function openSession(): Promise<string> {
  const response = await fetch(sup.mcpUrl, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  expect(response.status).toBe(200);
  await response.body?.cancel();
  const id = response.headers.get('mcp-session-id');
  if (!id) throw new Error('no session id');
  return id;
}

async function ask(method: 'GET' | 'DELETE', headers: Record<string, string>) {
  const response = await fetch(sup.mcpUrl, { method, headers: { accept: 'text/event-stream', ...headers } });
  const type = response.headers.get('content-type') ?? '';
  const body = type.startsWith('text/event-stream') ? '' : await response.text();
  if (type.startsWith('text/event-stream')) await response.body?.cancel();
  return { status: response.status, allow: response.headers.get('allow'), type, body };
}

describe.each(['GET', 'DELETE'] as const)('%s /mcp', (method) => {
  it('without a session: 405, Allow: POST, and a JSON-RPC error saying what to send', async () => {
    const answer = await ask(method, AUTH);
    expect(answer.status).toBe(405);
    expect(answer.allow).toBe('POST');
    expect(JSON.parse(answer.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringContaining('send requests with POST') } });
  });

  it('with a session id the server never gave: 404, so the client starts a new session', async () => {
    const answer = await ask(method, { ...AUTH, 'mcp-session-id': 'never-given' });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { message: expect.stringContaining('start a new one with initialize') } });
  });

  it('with a session that has ended: 404', async () => {
    const id = await openSession();
    expect((await ask('DELETE', { ...AUTH, 'mcp-session-id': id })).status).toBe(200);
    expect((await ask(method, { ...AUTH, 'mcp-session-id': id })).status).toBe(404);
  });

  it.each([
    ['no session', {}],
    ['an unknown session', { 'mcp-session-id': 'never-given' }],
  ])('without the token, with %s: 403 and nothing about sessions', async (_case, headers) => {
    const answer = await ask(method, headers);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('wrong or missing bearer token');
    expect(answer.body).not.toContain('session');
  });

  it('without the token, with an open session: 403, and the session stays open', async () => {
    const id = await openSession();
    expect((await ask(method, { 'mcp-session-id': id })).status).toBe(403);
    expect((await ask('GET', { ...AUTH, 'mcp-session-id': id })).status).toBe(200);
  });
});

it("GET with an open session is that session's event stream", async () => {
  const id = await openSession();
  const answer = await ask('GET', { ...AUTH, 'mcp-session-id': id });
  expect(answer.status).toBe(200);
  expect(answer.type).toMatch(/^text\/event-stream/);
});
