/**
 * Issue 23, the brain's web page over plain HTTP (the browser test, web-page.test.ts, drives it in
 * Chromium): the security headers of every page, the sign-in cookie, the limit on failed sign-ins,
 * the CSRF and origin checks on writes, the bounded listing, note paths kept inside the brain, and the
 * API left as it was.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MalformedNotes } from '../ingestion/malformed-notes.js';
import { NOTES_PAGE } from '../ingestion/web/routes.js';
import { SignInLimit } from '../ingestion/web/sign-in-limit.js';
import { startTestSupervisor } from './support/supervisor.js';
import { startWebService, type WebService } from './support/web-page.js';

const TOKEN = 'web-page-test-token-0123456789abcdef';
const HOST = '127.0.0.1:3300';
const ORIGIN = `http://${HOST}`;

/** The page's own CSRF cookie and hidden field, as a browser gets them from a page. */
async function formState(service: WebService, path: string, cookie = ''): Promise<{ cookie: string; csrf: string; html: string }> {
  const response = await service.app.inject({ method: 'GET', url: path, headers: { host: HOST, cookie } });
  const set = [response.headers['set-cookie'] ?? []].flat().map(String);
  const csrfCookie = set.find((c) => c.startsWith('brain_csrf='))?.split(';')[0];
  const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(response.body)?.[1];
  if (!csrf) throw new Error(`no form on ${path} (${response.statusCode}): ${response.body.slice(0, 300)}`);
  return { cookie: [cookie, csrfCookie].filter(Boolean).join('; '), csrf, html: response.body };
}

function post(service: WebService, url: string, fields: Record<string, string>, headers: Record<string, string>) {
  return service.app.inject({
    method: 'POST',
    url,
    headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(fields).toString(),
  });
}

describe('the web page with a token', () => {
  let service: WebService;
  let signedIn: string;
  beforeAll(async () => {
    service = await startWebService({ token: TOKEN });
    const { cookie, csrf } = await formState(service, '/web/signin');
    const answer = await post(service, '/web/signin', { csrf, token: TOKEN }, { cookie });
    expect(answer.statusCode).toBe(303);
    const tokenCookie = [answer.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('brain_token='));
    signedIn = `${cookie}; ${tokenCookie?.split(';')[0]}`;
  });
  afterAll(() => service.stop());

  it('every page is sent with a strict Content-Security-Policy and no script in it', async () => {
    // The sign-in form is the page of a visitor not signed in yet; an error page is a page too.
    const pages = [
      { url: '/web/signin', cookie: '', status: 200 },
      { url: '/', cookie: signedIn, status: 200 },
      { url: '/web/sessions', cookie: signedIn, status: 200 },
      { url: '/web/status', cookie: signedIn, status: 200 },
      { url: '/web/note?path=nowhere', cookie: signedIn, status: 404 },
    ];
    for (const { url, cookie, status } of pages) {
      const response = await service.app.inject({ method: 'GET', url, headers: { host: HOST, cookie } });
      expect(response.statusCode, url).toBe(status);
      const csp = String(response.headers['content-security-policy']);
      expect(csp, url).toContain("default-src 'none'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).not.toContain('unsafe-inline');
      expect(csp, url).not.toContain('script-src');
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['referrer-policy'], url).toBe('same-origin');
      expect(response.body, url).not.toMatch(/<script/i);
    }
  });

  it('without the cookie a page sends the browser to the sign-in, and a wrong token is refused', async () => {
    const page = await service.app.inject({ method: 'GET', url: '/', headers: { host: HOST } });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/web/signin');
    const { cookie, csrf } = await formState(service, '/web/signin');
    const wrong = await post(service, '/web/signin', { csrf, token: `${TOKEN}x` }, { cookie });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('not the token');
    expect(String(wrong.headers['set-cookie'] ?? '')).not.toContain('brain_token=');
    // A cookie holding a wrong token is no sign-in either.
    const forged = await service.app.inject({ method: 'GET', url: '/', headers: { host: HOST, cookie: `${cookie}; brain_token=${TOKEN}x` } });
    expect(forged.statusCode).toBe(303);
  });

  it('the sign-in cookie is HttpOnly and SameSite=Strict, and Secure when the page is served over https', async () => {
    const { cookie, csrf } = await formState(service, '/web/signin');
    const plain = await post(service, '/web/signin', { csrf, token: TOKEN }, { cookie });
    const set = [plain.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('brain_token='));
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Strict/);
    expect(set).not.toMatch(/; Secure/);
    const tls = await post(service, '/web/signin', { csrf, token: TOKEN }, { cookie, 'x-forwarded-proto': 'https' });
    expect([tls.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('brain_token='))).toMatch(/; Secure/);
  });

  it('the cookie opens the page but not the API: /write still asks for the bearer token', async () => {
    const answer = await service.app.inject({
      method: 'POST',
      url: '/write',
      headers: { host: HOST, cookie: signedIn, 'content-type': 'application/json' },
      payload: { filename: 'x', content: 'planted' },
    });
    expect(answer.statusCode).toBe(401);
  });

  it('an edit without the form’s CSRF value, with another’s, or from another origin is refused and changes nothing', async () => {
    const written = await service.brain.write({ filename: 'csrf/target', content: 'original\n' });
    const { cookie, csrf } = await formState(service, '/web/note?path=csrf/target.md', signedIn);
    const fields = { path: written.path, sha256: written.sha256, content: 'changed by an attacker\n' };
    const other = await formState(service, '/web/signin');
    const attempts = [
      post(service, '/web/note', fields, { cookie }),
      post(service, '/web/note', { ...fields, csrf: other.csrf }, { cookie }),
      post(service, '/web/note', { ...fields, csrf }, { cookie, origin: 'http://127.0.0.1:8080' }),
      post(service, '/web/note', { ...fields, csrf }, { cookie, origin: 'null' }),
    ];
    for (const answer of await Promise.all(attempts)) expect(answer.statusCode).toBe(403);
    const noOrigin = await service.app.inject({
      method: 'POST',
      url: '/web/note',
      headers: { host: HOST, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ...fields, csrf }).toString(),
    });
    expect(noOrigin.statusCode).toBe(403);
    expect(await readFile(join(service.knowledge, 'csrf/target.md'), 'utf8')).toBe('original\n');
    // The same form from the page itself is saved: the checks refuse only what they should.
    const saved = await post(service, '/web/note', { ...fields, csrf, content: 'edited on the page\r\n' }, { cookie });
    expect(saved.statusCode).toBe(303);
    expect(await readFile(join(service.knowledge, 'csrf/target.md'), 'utf8')).toBe('edited on the page\n');
  });

  it('the listing shows one bounded page at a time, however many notes there are', async () => {
    for (let i = 0; i < NOTES_PAGE + 20; i++) await service.brain.write({ filename: `many/note-${String(i).padStart(3, '0')}`, content: `note ${i}\n` });
    const rows = (body: string) => [...body.matchAll(/<tr><td><a href="\/web\/note\?path=many%2F/g)].length;
    const first = await service.app.inject({ method: 'GET', url: '/?prefix=many/', headers: { host: HOST, cookie: signedIn } });
    expect(rows(first.body)).toBe(NOTES_PAGE);
    const next = /<a rel="next" href="([^"]+)"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toBeDefined();
    const second = await service.app.inject({ method: 'GET', url: next ?? '', headers: { host: HOST, cookie: signedIn } });
    expect(rows(second.body)).toBe(20);
    expect(second.body).not.toContain('rel="next"');
    // No parameter makes a page larger.
    const asked = await service.app.inject({ method: 'GET', url: '/?prefix=many/&limit=1000', headers: { host: HOST, cookie: signedIn } });
    expect(rows(asked.body)).toBe(NOTES_PAGE);
  });

  it('a note path that would leave the brain is refused, reading and writing', async () => {
    await writeFile(join(service.root, 'secret.md'), 'outside the brain\n');
    for (const path of ['../../secret.md', '../secret', '/etc/passwd', 'a/../../secret.md', '..%2F..%2Fsecret.md']) {
      const answer = await service.app.inject({ method: 'GET', url: `/web/note?path=${encodeURIComponent(path)}`, headers: { host: HOST, cookie: signedIn } });
      expect(answer.statusCode, path).toBe(400);
      expect(answer.body, path).not.toContain('outside the brain');
    }
    const { cookie, csrf } = await formState(service, '/', signedIn);
    const write = await post(service, '/web/note', { csrf, path: '../../secret.md', content: 'overwritten\n' }, { cookie });
    expect(write.statusCode).toBe(400);
    expect(await readFile(join(service.root, 'secret.md'), 'utf8')).toBe('outside the brain\n');
  });

  it('the API still refuses a form body, and the page is not in the OpenAPI document', async () => {
    const form = await service.app.inject({
      method: 'POST',
      url: '/write',
      headers: { host: HOST, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'filename=planted&content=planted',
    });
    expect(form.statusCode).toBe(415);
    const document = await service.app.inject({ method: 'GET', url: '/openapi.json', headers: { host: HOST, authorization: `Bearer ${TOKEN}` } });
    const paths = Object.keys(document.json().paths);
    expect(paths).toContain('/write');
    expect(paths.filter((path) => path === '/' || path.startsWith('/web'))).toEqual([]);
  });

  it('a page asked for from another site is refused by the Host/Origin guard', async () => {
    const answer = await service.app.inject({ method: 'GET', url: '/', headers: { host: 'evil.example', cookie: signedIn } });
    expect(answer.statusCode).toBe(403);
  });
});

interface Ask {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The client's address: on Linux every 127.x address reaches a server listening on 127.0.0.1. */
  localAddress?: string;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request over a real connection, from the address given. */
function ask(url: string, { method = 'GET', headers = {}, body = '', localAddress = '127.0.0.1' }: Ask = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers, localAddress }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('failed sign-ins', () => {
  let service: WebService;
  beforeAll(async () => {
    service = await startWebService({ token: TOKEN });
  });
  afterAll(() => service.stop());

  it('after 5 wrong tokens from an address, its next sign-in (even with the right token) answers 429; others still sign in', async () => {
    const form = await ask(`${service.url}/web/signin`);
    const cookie = [form.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('brain_csrf='))?.split(';')[0] ?? '';
    const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(form.body)?.[1] ?? '';
    const signIn = (token: string, localAddress: string) =>
      ask(`${service.url}/web/signin`, {
        method: 'POST',
        headers: { origin: service.url, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, token }).toString(),
        localAddress,
      });
    const tokenCookie = (answer: Answer) => [answer.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('brain_token='));

    for (let i = 0; i < 5; i++) expect((await signIn(`${TOKEN}-guess-${i}`, '127.0.0.1')).status).toBe(401);
    const refused = await signIn(TOKEN, '127.0.0.1');
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(refused.body).toContain('at most 5 failed sign-ins per minute are allowed');
    expect(refused.body).toContain(`Try again in ${wait} s`);
    expect(tokenCookie(refused)).toBeUndefined();
    expect(String(refused.headers['content-security-policy'])).toContain("default-src 'none'");

    // Another address is counted on its own: a wrong token is only wrong, the right one signs in.
    expect((await signIn(`${TOKEN}-other`, '127.0.0.2')).status).toBe(401);
    const other = await signIn(TOKEN, '127.0.0.2');
    expect(other.status).toBe(303);
    expect(tokenCookie(other)).toBeDefined();
    // Which changes nothing for the first address.
    expect((await signIn(TOKEN, '127.0.0.1')).status).toBe(429);
  });

  it('the limit lasts one window from the first failure, and a closed window is forgotten', () => {
    let now = 0;
    const limit = new SignInLimit({ max: 2, windowMs: 10_000, now: () => now });
    expect(limit.rule).toBe('at most 2 failed sign-ins per 10 seconds');
    limit.failed('a');
    expect(limit.retryAfter('a')).toBe(0);
    now = 4_000;
    limit.failed('a');
    expect(limit.retryAfter('a')).toBe(6);
    now = 9_500;
    expect(limit.retryAfter('a')).toBe(1);
    expect(limit.retryAfter('b')).toBe(0);
    now = 10_000;
    expect(limit.retryAfter('a')).toBe(0);
    expect(limit.size).toBe(0);
    // A new failure opens a new window.
    limit.failed('a');
    expect(limit.retryAfter('a')).toBe(0);
    expect(new SignInLimit().rule).toBe('at most 5 failed sign-ins per minute');
  });

  it('keeps a bounded number of addresses: closed windows go first, then the oldest open one', () => {
    let now = 0;
    const limit = new SignInLimit({ max: 1, windowMs: 60_000, addresses: 3, now: () => now });
    for (const address of ['a', 'b', 'c']) limit.failed(address);
    expect(limit.size).toBe(3);
    now = 1_000;
    limit.failed('d');
    expect(limit.size).toBe(3);
    expect(limit.retryAfter('a')).toBe(0);
    expect(['b', 'c', 'd'].map((address) => limit.retryAfter(address))).toEqual([59, 59, 60]);
    // Once their windows close, the old addresses leave as a new one comes in.
    now = 60_500;
    limit.failed('e');
    expect(limit.size).toBe(2);
    expect(limit.retryAfter('d')).toBe(1);
    expect(limit.retryAfter('e')).toBe(60);
  });
});

describe('the web page of a brain service run alone, with no token', () => {
  let service: WebService;
  beforeAll(async () => {
    service = await startWebService({ embedded: false });
  });
  afterAll(() => service.stop());

  it('needs no sign-in, but still refuses an edit without the CSRF value', async () => {
    const page = await service.app.inject({ method: 'GET', url: '/', headers: { host: HOST } });
    expect(page.statusCode).toBe(200);
    const written = await service.brain.write({ filename: 'open', content: 'original\n' });
    const refused = await post(service, '/web/note', { path: written.path, sha256: written.sha256, content: 'planted\n' }, {});
    expect(refused.statusCode).toBe(403);
    expect(await readFile(join(service.knowledge, 'open.md'), 'utf8')).toBe('original\n');
  });

  it('lists the session logs it keeps for team mode, and says plainly that it has no scoreboard', async () => {
    const sessions = await service.app.inject({ method: 'GET', url: '/web/sessions', headers: { host: HOST } });
    expect(sessions.statusCode).toBe(200);
    expect(sessions.body).toContain(`Session logs in <code>${join(service.root, 'brain', 'sessions')}</code>`);
    expect(sessions.body).not.toContain('has no session logs to show');
    const status = await service.app.inject({ method: 'GET', url: '/web/status', headers: { host: HOST } });
    expect(status.body).toContain('not given the <code>supervisor eval</code> scoreboards');
  });
});

/** A GET with the Host header exactly as given (fetch sets its own). */
function getWithHost(url: string, host: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, location: response.headers.location });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the MCP server of the embedded default', () => {
  it('sends a browser at its / to the web page, keeping its Host check, and /mcp still asks for its token', async () => {
    const sup = await startTestSupervisor({ SUPERVISOR_TOKEN: 'mcp-token-0123456789abcdef0123456789' });
    try {
      const base = new URL(sup.mcpUrl);
      const ingestPort = new URL(sup.ingestion?.url ?? '').port;
      const root = await fetch(`${base.origin}/`, { redirect: 'manual' });
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe(`http://127.0.0.1:${ingestPort}/`);
      // The page it leads to is the brain's.
      const page = await fetch(root.headers.get('location') ?? '', { redirect: 'manual' });
      expect([200, 303]).toContain(page.status);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect((await getWithHost(`${base.origin}/`, 'evil.example')).status).toBe(403);
      const mcp = await fetch(sup.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(mcp.status).toBe(403);
    } finally {
      await sup.stop();
    }
  });
});

describe('the session log', () => {
  it('names the notes a consulting call gave the model, so the page can show them', async () => {
    const sup = await startTestSupervisor();
    const project = await mkdtemp(join(tmpdir(), 'web-project-'));
    try {
      await sup.ingestion?.loaded;
      await sup.ingestion?.brain.write({ filename: 'testing/wombat-tokens', title: 'Wombat tokens', content: 'The wombat tokenizer drops quoted tokens at the end.\n' });
      const client = await sup.connect();
      await client.callTool({ name: 'debug', arguments: { project_root: project, error: 'the wombat tokenizer drops quoted tokens', session_id: 'web-knowledge' } });
      const [entry] = await sup.sessionFiles!.read('web-knowledge');
      expect(entry?.final_status).toBe('ok');
      expect(entry?.knowledge).toEqual(['testing/wombat-tokens.md']);
    } finally {
      await sup.stop();
      await rm(project, { recursive: true, force: true });
    }
  });
});

describe('the list of notes that do not parse', () => {
  it('is bounded, newest first, and a note fixed or removed leaves it', () => {
    const list = new MalformedNotes(2);
    list.seen('a.md', 'frontmatter is not valid YAML');
    list.seen('b.md', 'frontmatter is not valid YAML');
    list.seen('c.md', 'frontmatter language "js" is not YAML');
    expect(list.list().map((note) => note.path)).toEqual(['c.md', 'b.md']);
    // The index counts every one (three), however few are kept in memory.
    list.counted(3);
    expect(list.total).toBe(3);
    list.seen('b.md', undefined);
    list.removed('c.md');
    list.counted(1);
    expect(list.size).toBe(0);
    expect(list.total).toBe(1);
  });

  it('loaded from the index, keeps the newest within its bound and the index’s true count', () => {
    const list = new MalformedNotes(2);
    const note = (path: string, seen: string) => ({ path, problem: 'frontmatter is not valid YAML', seen });
    list.load([note('c.md', '2026-01-03T00:00:00.000Z'), note('b.md', '2026-01-02T00:00:00.000Z'), note('a.md', '2026-01-01T00:00:00.000Z')], 5);
    expect(list.list().map((n) => n.path)).toEqual(['c.md', 'b.md']);
    expect(list.total).toBe(5);
    list.seen('d.md', 'frontmatter is not a mapping of keys to values');
    expect(list.list().map((n) => n.path)).toEqual(['d.md', 'c.md']);
  });
});
