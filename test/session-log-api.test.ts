/**
 * Team mode's session logs: the brain service's /sessions API (what any number of MCP server replicas
 * share) and the MCP server using it — a session's history, its TDD order and a retrospective read
 * the lines whichever server wrote them, and a brain service that is down costs a call its log line,
 * not its answer.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_LINE_MAX_BYTES } from '../common/session-contract.js';
import { SessionLogFiles } from '../common/session-log/files.js';
import { startIngestion, type RunningIngestion } from '../ingestion/service.js';
import { createLogger } from '../src/log.js';
import { startBrainProxy, startService, type TestService } from './support/service.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';
import { tmpdir } from 'node:os';

const TOKEN = 'session-api-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

function entry(skill: string, message: string, extra: Record<string, unknown> = {}) {
  return { timestamp: new Date().toISOString(), skill, phase: skill, project_root: null, final_status: 'ok', model_used: 'm', duration_ms: 5, message, attempts: [], usage: null, ...extra };
}

describe('the brain service keeps session logs', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startService({ token: TOKEN });
  });
  afterAll(async () => {
    await service.stop();
  });

  it('appends each entry as one whole line, says which one started the log, and reads the end back oldest first', async () => {
    const first = await service.post('/sessions/api-1', entry('debug', 'first'), AUTH);
    const second = await service.post('/sessions/api-1', entry('review', 'second\nwith a newline'), AUTH);
    expect(first).toEqual({ status: 201, body: { session_id: 'api-1', created: true } });
    expect(second).toEqual({ status: 201, body: { session_id: 'api-1', created: false } });

    const file = await readFile(join(service.brainDir, 'sessions', 'api-1.jsonl'), 'utf8');
    const lines = file.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ session_id: 'api-1', skill: 'review', message: 'second\nwith a newline' });

    const response = await fetch(`${service.url}/sessions/api-1`, { headers: AUTH });
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(response.headers.get('x-earlier-lines')).toBe('0');
    expect((await response.text()).trim().split('\n').map((line) => (JSON.parse(line) as { skill: string }).skill)).toEqual(['debug', 'review']);
  });

  it("sends only the whole lines of the end it is asked for, and counts the earlier ones", async () => {
    for (let i = 0; i < 20; i++) await service.post('/sessions/api-long', entry('debug', `call ${i} ${'x'.repeat(100)}`), AUTH);
    const response = await fetch(`${service.url}/sessions/api-long?tail_bytes=1000`, { headers: AUTH });
    const lines = (await response.text()).trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(20);
    expect(Number(response.headers.get('x-earlier-lines')) + lines.length).toBe(20);
    expect(response.headers.get('x-earlier-exact')).toBe('true');
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message.split(' ')[1]).at(-1)).toBe('19');
  });

  it('keeps fields it does not know, as a newer or older writer sent them, and reads an empty session as empty', async () => {
    await service.post('/sessions/api-foreign', { skill: 'debug', go_supervisor_field: { nested: [1, 2] } }, AUTH);
    const text = await (await fetch(`${service.url}/sessions/api-foreign`, { headers: AUTH })).text();
    expect(JSON.parse(text)).toEqual({ skill: 'debug', go_supervisor_field: { nested: [1, 2] }, session_id: 'api-foreign' });

    const none = await fetch(`${service.url}/sessions/never-written`, { headers: AUTH });
    expect(none.status).toBe(200);
    expect(await none.text()).toBe('');
  });

  it('lists the sessions newest first, a page at a time', async () => {
    const { status, body } = await service.get('/sessions?limit=2', AUTH);
    expect(status).toBe(200);
    expect(body.order).toBe('newest first');
    expect(body.sessions).toHaveLength(2);
    expect(body.sessions[0].id).toBe('api-foreign');
    const next = await service.get(`/sessions?limit=10&after=${encodeURIComponent(body.next)}`, AUTH);
    expect(next.body.sessions.map((s: { id: string }) => s.id)).toEqual(['api-1']);
    expect((await service.get('/sessions?after=nonsense', AUTH)).status).toBe(400);
  });

  it('refuses bad ids in every spelling, foreign session ids, non-entries, oversized lines and reads, and callers without the token', async () => {
    // (`%2E%2E` alone never arrives: fetch resolves it as .. before sending, as any client does.)
    for (const id of ['..%2F..%2Fetc', '%2E%2E%2Fx', 'a%00b', 'a.b', 'x'.repeat(129), 'caf%C3%A9']) {
      const response = await service.post(`/sessions/${id}`, entry('debug', 'x'), AUTH);
      expect(response.status, id).toBe(400);
      expect(response.body.error).toMatch(/^id must be 1–128 letters, digits, - or _/);
    }
    expect((await service.post('/sessions/api-2', entry('debug', 'x', { session_id: 'other' }), AUTH)).body.error).toMatch(/not the path's session api-2/);
    expect((await service.post('/sessions/api-2', [1, 2], AUTH)).body.error).toBe('request body must be a JSON object');
    expect((await service.post('/sessions/api-2', { message: 'no skill' }, AUTH)).body.error).toMatch(/^skill is required/);
    expect((await service.post('/sessions/api-2', { skill: 7 }, AUTH)).body.error).toMatch(/^skill must be a string/);

    const huge = await service.post('/sessions/api-2', entry('debug', 'x'.repeat(SESSION_LINE_MAX_BYTES)), AUTH);
    expect(huge).toEqual({ status: 413, body: { error: "request body is larger than 64 KiB (65536 bytes), this route's limit" } });
    expect((await service.get('/sessions/api-2?tail_bytes=99999999', AUTH)).body.error).toMatch(/tail_bytes must be at most 1048576/);
    expect((await service.post('/sessions/api-2', entry('debug', 'x'))).status).toBe(401);
    expect((await service.get('/sessions', {})).status).toBe(401);

    expect(await readdir(join(service.brainDir, 'sessions'))).not.toContain('api-2.jsonl');
  });

  it('hands a torn line over as written, and the next line starts on a fresh one', async () => {
    await service.post('/sessions/api-torn', entry('debug', 'before'), AUTH);
    await appendFile(join(service.brainDir, 'sessions', 'api-torn.jsonl'), '{"skill":"rev');
    await service.post('/sessions/api-torn', entry('review', 'after'), AUTH);
    const entries = await new SessionLogFiles(join(service.brainDir, 'sessions')).read('api-torn');
    expect(entries.map((e) => e.message)).toEqual(['before', 'after']);
  });

  it('never follows a symbolic link, waits on a FIFO or writes into a folder that has a log\'s name', async () => {
    const sessions = join(service.brainDir, 'sessions');
    const outside = join(service.brainDir, 'outside.txt');
    await writeFile(outside, 'not a session log\n');
    await symlink(outside, join(sessions, 'api-link.jsonl'));
    execFileSync('mkfifo', [join(sessions, 'api-fifo.jsonl')]);
    await mkdir(join(sessions, 'api-folder.jsonl'));
    for (const id of ['api-link', 'api-fifo', 'api-folder']) {
      const written = await service.post(`/sessions/${id}`, entry('debug', 'x'), AUTH);
      expect(written.status).toBe(409);
      expect(written.body.error).toMatch(new RegExp(`^the log of session ${id} is not a regular file`));
      const read = await service.get(`/sessions/${id}`, AUTH);
      expect(read.status).toBe(409);
    }
    expect(await readFile(outside, 'utf8')).toBe('not a session log\n');
    const listed = (await service.get('/sessions?limit=100', AUTH)).body as { sessions: Array<{ id: string }> };
    expect(listed.sessions.map((s) => s.id)).not.toEqual(expect.arrayContaining(['api-link']));
    expect(listed.sessions.map((s) => s.id)).not.toEqual(expect.arrayContaining(['api-folder']));
  });
});

describe('a flood of new sessions', () => {
  let service: RunningIngestion;

  beforeAll(async () => {
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-flood-'));
    service = await startIngestion({ host: '127.0.0.1', port: 0, brainDir, token: undefined, logLevel: 'silent', newSessionsPerMinute: 3 }, createLogger('silent'));
  });
  afterAll(async () => {
    await service.close();
  });

  it('starts at most INGEST_NEW_SESSIONS_PER_MINUTE logs a minute, says when to retry, and still appends to the logs it has', async () => {
    const post = (id: string) => fetch(`${service.url}/sessions/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entry('debug', id)) });
    for (const id of ['f1', 'f2', 'f3']) expect((await post(id)).status).toBe(201);
    const refused = await post('f4');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: string }).error).toMatch(/at most 3 start a minute \(INGEST_NEW_SESSIONS_PER_MINUTE\); nothing was written/);
    expect((await post('f1')).status).toBe(201);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/supervisor_brain_session_lines_total\{result="too_many_sessions"\} 1/);
    expect(metrics).toMatch(/supervisor_brain_session_lines_total\{result="started"\} 3/);
  });
});

describe('the MCP server in team mode', () => {
  let service: TestService;
  let sup: TestSupervisor;
  let client: Client;
  let project: string;

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'team-project-'));
    service = await startService({ token: TOKEN });
    sup = await startTestSupervisor({ INGEST_BASE_URL: service.url, INGEST_TOKEN: TOKEN });
    client = await sup.connect();
  });
  afterAll(async () => {
    await sup.stop();
    await service.stop();
    await rm(project, { recursive: true, force: true });
  });

  const textOf = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as Array<{ text: string }>).map((c) => c.text).join('\n');

  it("writes each call's line to the brain service, nothing to its own disk, and the next call's prompt has the history", async () => {
    expect(sup.sessionFiles).toBeNull();
    const first = await client.callTool({ name: 'debug', arguments: { project_root: project, error: 'TypeError in the wombat parser', session_id: 'team-1' } });
    expect(first.isError, textOf(first)).toBeFalsy();
    expect((first.structuredContent as { session_log?: string }).session_log).toBeUndefined();
    const second = await client.callTool({ name: 'spec', arguments: { project_root: project, requirements: 'the numbat tokenizer', session_id: 'team-1' } });
    expect(second.isError, textOf(second)).toBeFalsy();

    const logged = await new SessionLogFiles(join(service.brainDir, 'sessions')).read('team-1');
    expect(logged.map((e) => [e.skill, e.arguments?.error ?? e.arguments?.requirements])).toEqual([
      ['debug', 'TypeError in the wombat parser'],
      ['spec', 'the numbat tokenizer'],
    ]);
    await expect(readdir(join(sup.brainDir, 'sessions'))).rejects.toMatchObject({ code: 'ENOENT' });
    // The second call was shown the first.
    expect(sup.llm.requests.at(-1)?.messages[1]?.content).toMatch(/debug \(debug\) ok/);
  });

  it('a retrospective reads the session from the brain service, lines another server wrote included', async () => {
    await service.post('/sessions/team-2', entry('tdd_red', 'written by another replica: the koala test'), AUTH);
    await client.callTool({ name: 'debug', arguments: { project_root: project, error: 'the platypus fails', session_id: 'team-2' } });
    const result = await client.callTool({ name: 'retrospective', arguments: { session_id: 'team-2' } });
    expect(result.isError).toBeFalsy();
    const prompt = sup.llm.requests.at(-1)?.messages[1]?.content ?? '';
    expect(prompt).toContain('the koala test');
    expect(prompt).toContain('the platypus fails');
  });

  it('lists the sessions the brain service has as resources', async () => {
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['supervisor://sessions/team-1', 'supervisor://sessions/team-2']));
    const read = await client.readResource({ uri: 'supervisor://sessions/team-1' });
    expect(JSON.stringify(read.contents)).toContain('wombat');
  });

  it('a consulting call reads its session log from the brain service once (TDD order, advice outcome and history alike)', async () => {
    const requests: string[] = [];
    const proxy = await startBrainProxy(service.url, (path, body) => {
      if (path.startsWith('/sessions/reads-once')) requests.push(body === '' ? 'read' : 'append');
      return 'forward';
    });
    const replica = await startTestSupervisor({ INGEST_BASE_URL: proxy.url, INGEST_TOKEN: TOKEN });
    try {
      const mcp = await replica.connect();
      const calls = [
        { name: 'tdd_red', arguments: { project_root: project, spec: 'the quokka counter', session_id: 'reads-once' } },
        { name: 'tdd_green', arguments: { project_root: project, test_path: 'quokka.test.ts', test_output: 'Tests  1 failed (1)', session_id: 'reads-once' } },
        { name: 'review', arguments: { project_root: project, files: ['quokka.ts'], session_id: 'reads-once' } },
      ];
      for (const call of calls) {
        requests.length = 0;
        const result = await mcp.callTool(call);
        expect(result.isError, textOf(result)).toBeFalsy();
        expect(requests, call.name).toEqual(['read', 'append']);
      }
      // What the one read gave each question: the review's prompt has the session so far, and
      // tdd_green's advice outcome judged tdd_red's (a red test expected, and seen).
      expect(replica.llm.requests.at(-1)?.messages[1]?.content).toMatch(/tdd_red[\s\S]*tdd_green/);
      const logged = await new SessionLogFiles(join(service.brainDir, 'sessions')).read('reads-once');
      expect(logged[1]?.advice_outcome).toMatchObject({ skill: 'tdd_red', worked: true });
    } finally {
      await replica.stop();
      await proxy.close();
    }
  });

  it('tells its clients of a session log another replica started (the service\'s generation of them, polled)', async () => {
    let readyAnswers = 0;
    const proxy = await startBrainProxy(service.url, undefined, (path) => {
      if (path === '/ready') readyAnswers += 1;
    });
    const replica = await startTestSupervisor({ INGEST_BASE_URL: proxy.url, INGEST_TOKEN: TOKEN });
    try {
      const listener = await replica.connect();
      let heard = 0;
      listener.setNotificationHandler(ResourceListChangedNotificationSchema, () => void heard++);
      // A poll answered since the listener came: the generation it carried is known, so a log started now is a change.
      readyAnswers = 0;
      await waitFor(() => readyAnswers >= 1, 'a poll of /ready answered');
      expect(heard).toBe(0);
      await service.post('/sessions/started-elsewhere', entry('tdd_red', 'by another replica'), AUTH);
      await waitFor(() => heard > 0, 'list_changed for a log another replica started');
      const { resources } = await listener.listResources();
      expect(resources.map((r) => r.uri)).toContain('supervisor://sessions/started-elsewhere');
    } finally {
      await replica.stop();
      await proxy.close();
    }
  });

  it('answers a call while the brain service is down, and says its log line was not written', async () => {
    await service.app.close();
    const result = await client.callTool({ name: 'debug', arguments: { project_root: project, error: 'the echidna crashes', session_id: 'team-3' } });
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { session_log?: string }).session_log).toMatch(/^not written: .*unreachable/);
    expect(textOf(result)).toMatch(/session log/i);
  });
});
