/**
 * Brain notes and session logs as MCP resources, through the real MCP SDK client: listed a page at a
 * time (every note and session exactly once), read as markdown, completed, refused clearly when a URI
 * names nothing, and a resources/list_changed sent to open sessions when the notes change.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceListChangedNotificationSchema, type Resource } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_NOTE_READ_BYTES } from '../ingestion/note-files.js';
import { SESSION_RESOURCE_BYTES } from '../src/mcp/resources/sessions.js';
import { SESSION_LIST_TIMED_MAX } from '../common/session-log/listing.js';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';
import { failure } from './support/json-rpc.js';

let sup: TestSupervisor;
let client: Client;
useTestSupervisor((started, connected) => ((sup = started), (client = connected)));

const DOMAINS = ['testing', 'api', 'security', 'databases', 'frontend', 'ops'];
const PER_DOMAIN = 50;
/** Names a URI must encode: a space, non-ASCII, `%`, `#`, `?`, and characters encodeURIComponent keeps. */
const ODD_NAMES = ['odd/with space.md', 'odd/café ♥.md', 'odd/100% sure.md', 'odd/c# and ?.md', "odd/it's (fine)!.md"];
const NOTE_COUNT = DOMAINS.length * PER_DOMAIN + ODD_NAMES.length;

const knowledge = () => join(sup.brainDir, 'knowledge');

async function writeNote(path: string, text: string): Promise<void> {
  await mkdir(join(knowledge(), path, '..'), { recursive: true });
  await writeFile(join(knowledge(), path), text);
}

async function listAll(): Promise<{ resources: Resource[]; pages: number[] }> {
  const resources: Resource[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listResources(cursor === undefined ? {} : { cursor });
    resources.push(...page.resources);
    pages.push(page.resources.length);
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages.length < 200);
  return { resources, pages };
}

beforeAll(async () => {
  for (const domain of DOMAINS) {
    for (let i = 0; i < PER_DOMAIN; i++) await writeNote(`${domain}/note-${String(i).padStart(3, '0')}.md`, `---\ntitle: ${domain} note ${i}\n---\nAbout ${domain}, number ${i}.\n`);
  }
  for (const name of ODD_NAMES) await writeNote(name, `# ${name}\n\nA note with an odd name.\n`);
  // The brain's watcher indexes them; the listing comes from the index.
  await waitFor(async () => (await sup.deps.brain.count()) === NOTE_COUNT, `${NOTE_COUNT} notes indexed`);
  await client.callTool({ name: 'tdd_red', arguments: { project_root: '/work/shop', spec: 'cart totals in cents', session_id: 'resource-session' } });
});

describe('resources/list', () => {
  it('lists every note and session exactly once, a page of at most 100 at a time, notes first', async () => {
    const { resources, pages } = await listAll();
    const uris = resources.map((r) => r.uri);
    expect(new Set(uris).size).toBe(uris.length);
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(NOTE_COUNT / 100));
    expect(Math.max(...pages)).toBeLessThanOrEqual(100);
    const notes = resources.filter((r) => r.uri.startsWith('brain://knowledge/'));
    expect(notes).toHaveLength(NOTE_COUNT);
    expect(notes.map((n) => n.name).sort()).toEqual([...DOMAINS.flatMap((d) => Array.from({ length: PER_DOMAIN }, (_, i) => `${d}/note-${String(i).padStart(3, '0')}.md`)), ...ODD_NAMES].sort());
    expect(notes.find((n) => n.name === 'testing/note-007.md')).toEqual({
      uri: 'brain://knowledge/testing/note-007.md',
      name: 'testing/note-007.md',
      title: 'testing note 7',
      mimeType: 'text/markdown',
    });
    expect(notes.find((n) => n.name === 'odd/c# and ?.md')?.uri).toBe('brain://knowledge/odd/c%23%20and%20%3F.md');
    const sessions = resources.filter((r) => r.uri.startsWith('supervisor://sessions/'));
    expect(sessions.map((s) => s.name)).toContain('resource-session');
    expect(uris.indexOf(sessions[0]?.uri ?? '')).toBe(NOTE_COUNT);
    expect(sessions.find((s) => s.name === 'resource-session')?.annotations?.lastModified).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('refuses a cursor it never gave', async () => {
    const error = await failure(client.listResources({ cursor: 'not-a-cursor' }));
    expect(error.code).toBe(-32602);
    expect(error.message).toContain('Invalid cursor');
  });

  it('lists sessions newest first', async () => {
    const dir = sup.sessionFiles!.dir;
    await writeFile(join(dir, 'older-session.jsonl'), `${JSON.stringify({ skill: 'review', message: 'old' })}\n`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.callTool({ name: 'review', arguments: { project_root: '/work/shop', files: ['a.ts'], session_id: 'newest-session' } });
    const sessions = (await listAll()).resources.filter((r) => r.uri.startsWith('supervisor://sessions/')).map((r) => r.name);
    expect(sessions[0]).toBe('newest-session');
  });
});

describe('resources/templates/list', () => {
  it('offers the note and the session templates', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map(({ uriTemplate, mimeType }) => ({ uriTemplate, mimeType }))).toEqual([
      { uriTemplate: 'brain://knowledge/{+path}', mimeType: 'text/markdown' },
      { uriTemplate: 'supervisor://sessions/{session_id}', mimeType: 'text/markdown' },
    ]);
  });
});

describe('resources/read of a note', () => {
  it('answers the file as written, frontmatter, CRLF and BOM included', async () => {
    const text = '\uFEFF---\r\ntitle: Flaky tests\r\n---\r\nRetry nothing; find the race.\r\n';
    await writeNote('testing/flaky-tests.md', text);
    await waitFor(async () => (await sup.deps.brain.list({ prefix: 'testing/flaky' })).notes.length === 1, 'the note indexed');
    const read = await client.readResource({ uri: 'brain://knowledge/testing/flaky-tests.md' });
    expect(read.contents).toEqual([{ uri: 'brain://knowledge/testing/flaky-tests.md', mimeType: 'text/markdown', text: await readFile(join(knowledge(), 'testing/flaky-tests.md'), 'utf8') }]);
  });

  it('reads notes with odd names by the URI the listing gives', async () => {
    const listed = (await listAll()).resources.filter((r) => r.name.startsWith('odd/'));
    expect(listed).toHaveLength(ODD_NAMES.length);
    for (const { uri, name } of listed) {
      const [content] = (await client.readResource({ uri })).contents;
      expect(content && 'text' in content ? content.text : '').toBe(`# ${name}\n\nA note with an odd name.\n`);
    }
  });

  it('answers resource-not-found (-32602, with the URI as its data) for a note that does not exist', async () => {
    const error = await failure(client.readResource({ uri: 'brain://knowledge/testing/no-such-note.md' }));
    expect(error.code).toBe(-32602);
    expect(error.data).toEqual({ uri: 'brain://knowledge/testing/no-such-note.md' });
    // The client puts "MCP error -32602: " before the message the server sent, once.
    expect(error.message).toBe('MCP error -32602: Resource not found: brain://knowledge/testing/no-such-note.md: no such note in the brain');
  });

  it('answers internal error (-32603) naming the limit for a note grown too large to be read whole', async () => {
    await mkdir(join(knowledge(), 'grown'), { recursive: true });
    await writeFile(join(knowledge(), 'grown/note.md'), `# Grown\n\n${'y'.repeat(MAX_NOTE_READ_BYTES)}\n`);
    const error = await failure(client.readResource({ uri: 'brain://knowledge/grown/note.md' }));
    expect(error.code).toBe(-32603);
    expect(error.message).toMatch(/^MCP error -32603: Cannot read brain:\/\/knowledge\/grown\/note\.md: grown\/note\.md is 4,194,314 bytes, over the 4 MiB .* split it into smaller notes, or overwrite it$/);
  });

  it.each([
    ['brain://knowledge/../secrets.md', '. and .. segments'],
    ['brain://knowledge/testing/../../../etc/passwd.md', '. and .. segments'],
    ['brain://knowledge/testing/%2e%2e/%2E%2E/x.md', '. and .. segments'],
    ['brain://knowledge/./testing/note-001.md', '. and .. segments'],
    ['brain://knowledge/testing%2F..%2F..%2Fx.md', 'percent-encoded / or \\'],
    ['brain://knowledge/testing%5Cnote-001.md', 'percent-encoded / or \\'],
    ['brain://knowledge//etc/passwd.md', 'empty folder name'],
    ['brain://knowledge/', 'names no note'],
    ['brain://knowledge/testing/note-%30%30%31.md', 'read brain://knowledge/testing/note-001.md'],
    ['brain://knowledge/odd/with space.md', 'read brain://knowledge/odd/with%20space.md'],
    ['brain://knowledge/testing/%E0%A4%A.md', 'not valid percent-encoded UTF-8'],
    ['brain://knowledge/testing/note-001.md?raw=1', 'no query or fragment'],
    ['brain://knowledge/testing/note-001.md#top', 'no query or fragment'],
    ['brain://knowledge/testing/note-001', 'ends in .md'],
    [`brain://knowledge/${'a/'.repeat(3000)}x.md`, 'too long'],
  ])('refuses %s with a clear error', async (uri, says) => {
    const error = await failure(client.readResource({ uri }));
    expect(error.code).toBe(-32602);
    expect(error.message).toContain(says);
    expect(error.message.length).toBeLessThan(600);
  });
});

describe('resources/read of a session', () => {
  it("answers the session's calls as markdown, oldest first", async () => {
    const [content] = (await client.readResource({ uri: 'supervisor://sessions/resource-session' })).contents;
    expect(content).toMatchObject({ uri: 'supervisor://sessions/resource-session', mimeType: 'text/markdown' });
    const text = content && 'text' in content ? content.text : '';
    expect(text).toMatch(/^# Session resource-session\n\n1 call, oldest first\.\n\n### \d{4}-\d\d-\d\d \d\d:\d\d:\d\d tdd_red \(red\) ok by /);
    expect(text).toContain('Arguments: spec: cart totals in cents');
  });

  it('reads only the end of a long log and says how much was left out', async () => {
    const line = (i: number) => JSON.stringify({ session_id: 'long-session', timestamp: '2026-11-21T10:00:00.000Z', skill: 'review', phase: 'review', final_status: 'ok', model_used: 'm', duration_ms: 1000, message: `finding ${i} ${'y'.repeat(400)}`, attempts: [] });
    const lines = Array.from({ length: 2000 }, (_, i) => line(i));
    await writeFile(join(sup.sessionFiles!.dir, 'long-session.jsonl'), `${lines.join('\n')}\n`);
    const [content] = (await client.readResource({ uri: 'supervisor://sessions/long-session' })).contents;
    const text = content && 'text' in content ? content.text : '';
    const shown = Number(/The newest (\d+) calls, oldest first\. (\d+) earlier log lines left out/.exec(text)?.[1]);
    const left = Number(/(\d+) earlier log lines left out: only the log's last 64 KiB are read\./.exec(text)?.[1]);
    expect(shown + left).toBe(2000);
    expect(shown).toBeGreaterThan(100);
    expect(text.length).toBeLessThan(SESSION_RESOURCE_BYTES * 1.2);
    expect(text).toContain('finding 1999 ');
    expect(text).not.toContain('finding 0 ');
  });

  it('answers resource-not-found for a session with no log, and refuses an id that is no session id', async () => {
    expect((await failure(client.readResource({ uri: 'supervisor://sessions/never-used' }))).code).toBe(-32602);
    for (const uri of ['supervisor://sessions/../../etc/passwd', 'supervisor://sessions/a%2Fb', 'supervisor://sessions/', `supervisor://sessions/${'x'.repeat(129)}`]) {
      const error = await failure(client.readResource({ uri }));
      expect(error.code).toBe(-32602);
      expect(error.message).toContain('1–128 letters, digits, - or _');
    }
  });
});

describe('completion/complete', () => {
  const completeNote = (value: string) => client.complete({ ref: { type: 'ref/resource', uri: 'brain://knowledge/{+path}' }, argument: { name: 'path', value } });

  it("completes a note's path from its start, at most 100 values", async () => {
    const { completion } = await completeNote('testing/note-01');
    expect(completion.values).toEqual(Array.from({ length: 10 }, (_, i) => `testing/note-01${i}.md`));
    expect(completion.hasMore).toBe(false);
    const many = (await completeNote('')).completion;
    expect(many.values).toHaveLength(100);
    expect(many.hasMore).toBe(true);
    expect(many.total).toBeUndefined();
    expect((await completeNote('../')).completion.values).toEqual([]);
  });

  it('completes a session id from its start', async () => {
    const { completion } = await client.complete({ ref: { type: 'ref/resource', uri: 'supervisor://sessions/{session_id}' }, argument: { name: 'session_id', value: 'resource-' } });
    expect(completion.values).toEqual(['resource-session']);
  });
});

describe('notifications/resources/list_changed', () => {
  it('reaches an open session after a brain_write and after a note edited on disk; a session closed before is no error', async () => {
    const subscribed = vi.spyOn(sup.deps.brain, 'onChange');
    const listener = await sup.connect();
    const closing = await sup.connect();
    // One subscription to the brain for the server, made with the first session: none per session.
    expect(subscribed).not.toHaveBeenCalled();
    let heard = 0;
    listener.setNotificationHandler(ResourceListChangedNotificationSchema, () => void heard++);
    // Lets the clients' GET streams open: that is where notifications without a request go.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await closing.close();

    await client.callTool({ name: 'brain_write', arguments: { title: 'Listed change', type: 'pattern', domain: 'testing', tags: ['x'], content: 'A new note.' } });
    await waitFor(() => heard >= 1, 'list_changed after brain_write');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const afterWrite = heard;
    await writeFile(join(knowledge(), 'testing/note-002.md'), '---\ntitle: edited on disk\n---\nchanged\n');
    await waitFor(() => heard > afterWrite, 'list_changed after an edit on disk');
    expect(sup.logs()).not.toContain('"level":50');
    subscribed.mockRestore();
  });

  it("reaches an open session when another session's first call starts its log, and not for a later call", async () => {
    const listener = await sup.connect();
    let heard = 0;
    listener.setNotificationHandler(ResourceListChangedNotificationSchema, () => void heard++);
    // Lets the GET stream open, and what the test before changed be told first.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const before = heard;
    const call = (session_id: string) => client.callTool({ name: 'tdd_red', arguments: { project_root: '/work/shop', spec: 'coupons', session_id } });

    await call('listed-when-started');
    await waitFor(() => heard > before, 'list_changed after a new session log');
    expect((await listAll()).resources.map((r) => r.uri)).toContain('supervisor://sessions/listed-when-started');
    // Past the debounce (at most once a second): a call on a log that exists changes no listing.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const afterStart = heard;
    await call('listed-when-started');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(heard).toBe(afterStart);
    await listener.close();
  });
});

// Last: it leaves the folder holding thousands of logs.
describe('a sessions folder past the bound', () => {
  it(`lists more than ${SESSION_LIST_TIMED_MAX} logs by name (no time: none is stat'ed), every one once`, async () => {
    const dir = sup.sessionFiles!.dir;
    const names = Array.from({ length: SESSION_LIST_TIMED_MAX + 1 }, (_, i) => `bulk-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < names.length; i += 500) await Promise.all(names.slice(i, i + 500).map((name) => writeFile(join(dir, `${name}.jsonl`), '{}\n')));
    // A new session's first call makes the next listing read the folder again.
    await client.callTool({ name: 'tdd_red', arguments: { project_root: '/work/shop', spec: 'x', session_id: 'zz-after-bulk' } });
    const sessions = (await listAll()).resources.filter((r) => r.uri.startsWith('supervisor://sessions/'));
    const ids = sessions.map((s) => s.name);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    expect(ids.filter((id) => id.startsWith('bulk-'))).toEqual(names);
    expect(ids).toContain('zz-after-bulk');
    expect(sessions.every((s) => s.annotations === undefined)).toBe(true);
  });
});
