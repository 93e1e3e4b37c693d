/**
 * Issue 23, "How it is checked": the brain's web page in a real browser — Debian's Chromium
 * (/usr/bin/chromium, installed by .ci/run), driven by puppeteer-core, which downloads no browser.
 * Sign in, search, open a note, edit it with a stale hash, browse the sessions and one session's
 * calls, see a note holding <script> as text; the token never in a URL nor in the service's log.
 * A screenshot of each page is kept in test-results/screenshots/ (docs/web.md).
 */
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionLine, startWebService, type WebService } from './support/web-page.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(import.meta.dirname, '..', 'test-results', 'screenshots');
const TOKEN = 'browser-test-token-5f0c1d2e3a4b5c6d7e8f9a0b';

let service: WebService;
let browser: Browser;
let page: Page;
/** Every URL the browser asked for, over all the tests of this file. */
const requested: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
const text = (selector: string) => page.$eval(selector, (element) => element.textContent ?? '');
/** Clicks what submits a form or follows a link, and waits for the page it leads to. */
async function follow(selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  service = await startWebService({ token: TOKEN });
  const brain = service.brain;
  await brain.write({ filename: 'testing/integer-cents', title: 'Money in integer cents', tags: ['money'], content: 'Store amounts of money as integer cents, never as floats.\n' });
  await brain.write({
    filename: 'testing/flaky-retries',
    title: 'Retry flaky network tests once',
    source: 'trainer',
    session_id: 'sess-newer',
    content: 'A test that talks to the network is retried once before it fails the run.\n',
  });
  await brain.write({ filename: 'hostile/script', title: 'Hostile note', content: '<script>window.__pwned = 1</script>\n<img src="x" onerror="window.__pwned = 2">\n' });
  // A note whose frontmatter does not parse: written beside the service, as an editor would.
  await writeFile(join(service.knowledge, 'broken.md'), '---\ntitle: [never closed\n---\nThe body is still searched.\n');
  await brain.reconcile();

  const older = join(service.sessionsDir, 'sess-older.jsonl');
  await writeFile(older, sessionLine({ session_id: 'sess-older', skill: 'spec', phase: 'spec', arguments: { requirements: 'Write the spec of the export <script>window.__pwned = 3</script>' } }));
  const newer = join(service.sessionsDir, 'sess-newer.jsonl');
  await writeFile(
    newer,
    sessionLine({ session_id: 'sess-newer', skill: 'tdd_red', phase: 'red', arguments: { task: 'Add VAT to invoices' }, knowledge: ['testing/integer-cents.md'] }) +
      sessionLine({
        session_id: 'sess-newer',
        skill: 'review',
        timestamp: '2026-01-01T10:05:00.000Z',
        model_used: 'big-reviewer',
        attempts: [
          { model: 'qwen-coder', outcome: 'timeout', ms: 30000 },
          { model: 'big-reviewer', outcome: 'ok', ms: 4100 },
        ],
        message: 'Round the VAT per line, not per invoice.',
        arguments: { files: 'src/invoice.ts' },
        knowledge: ['testing/integer-cents.md', 'testing/flaky-retries.md'],
      }),
  );
  await utimes(older, new Date('2026-01-01T09:00:00Z'), new Date('2026-01-01T09:00:00Z'));
  await utimes(newer, new Date('2026-01-01T11:00:00Z'), new Date('2026-01-01T11:00:00Z'));
  await mkdir(service.evalDir, { recursive: true });
  await writeFile(
    join(service.evalDir, 'scoreboard-2026-01-02T03-04-05Z.json'),
    JSON.stringify({
      version: 1,
      date: '2026-01-02T03:04:05.000Z',
      litellm: 'http://127.0.0.1:4000',
      repeat: 1,
      models: ['qwen-coder'],
      skills: ['review'],
      scores: [{ model: 'qwen-coder', skill: 'review', passed: 3, failed: 1, total: 4, rate: 0.75, interval: [0.3, 0.95], latency_ms: { p50: 2100, p95: 4000 }, tokens: null }],
      results: [],
    }),
  );

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium refuses to start its sandbox as root (CI runs .ci/run as root); only then is it turned off.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  page.on('request', (request) => requested.push(request.url()));
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('the brain web page in Chromium', () => {
  it('asks for the token: a wrong one is refused, the right one signs in with an HttpOnly, SameSite=Strict cookie', async () => {
    await page.goto(`${service.url}/`);
    expect(new URL(page.url()).pathname).toBe('/web/signin');
    await shot('01-sign-in');
    await page.type('input[name=token]', `${TOKEN}-wrong`);
    await follow('form.signin button[type=submit]');
    expect(await text('[role=alert]')).toContain('not the token');
    expect((await browser.cookies()).find((c) => c.name === 'brain_token')).toBeUndefined();
    await shot('02-sign-in-refused');

    await page.type('input[name=token]', TOKEN);
    await follow('form.signin button[type=submit]');
    expect(new URL(page.url()).pathname).toBe('/');
    const cookie = (await browser.cookies()).find((c) => c.name === 'brain_token');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    // The listing, with the trainer's note marked.
    expect(await text('main h1')).toBe('Notes');
    const trainerRow = await page.$eval('a[href="/web/note?path=testing%2Fflaky-retries.md"]', (a) => a.closest('tr')?.textContent ?? '');
    expect(trainerRow).toContain('saved by trainer');
    const otherRow = await page.$eval('a[href="/web/note?path=testing%2Finteger-cents.md"]', (a) => a.closest('tr')?.textContent ?? '');
    expect(otherRow).not.toContain('saved by');
    await shot('03-notes');
  });

  it('searches the notes and shows each hit with its excerpt and score', async () => {
    await page.type('input[name=q]', 'integer cents money');
    await follow('form.search button[type=submit]');
    const rows = await page.$$eval('main tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows[0]).toContain('Money in integer cents');
    expect(rows[0]).toContain('never as floats');
    expect(rows[0]).toMatch(/^\s*\d+\.\d\d/);
    await shot('04-search');
  });

  it('opens a note; an edit of a version changed meanwhile says so, shows the current one and keeps the text typed', async () => {
    await follow('a[href="/web/note?path=testing%2Finteger-cents.md"]');
    expect(await text('main h1')).toBe('Money in integer cents');
    expect(await text('pre.frontmatter')).toContain('title: Money in integer cents');
    await shot('05-note');

    // Another writer changes the note after the page was shown.
    const current = await service.brain.read('testing/integer-cents.md');
    await service.brain.write({ filename: current.path, mode: 'overwrite', content: '---\ntitle: Money in integer cents\n---\nChanged by another writer.\n' });

    const mine = '---\ntitle: Money in integer cents\n---\nMy careful edit.\n';
    await page.click('textarea[name=content]');
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.type(mine);
    await follow('form.edit button[type=submit]');
    expect(await text('[role=status]')).toContain('changed since you opened it');
    expect(await text('pre.note-body')).toContain('Changed by another writer.');
    expect(await page.$eval('textarea[name=content]', (area) => (area as unknown as { value: string }).value)).toBe(mine);
    expect(await readFile(join(service.knowledge, 'testing/integer-cents.md'), 'utf8')).toContain('Changed by another writer.');
    await shot('06-stale-edit');

    // Saved again on purpose, it replaces the version now shown.
    await follow('form.edit button[type=submit]');
    expect(await text('[role=status]')).toBe('Saved.');
    expect(await readFile(join(service.knowledge, 'testing/integer-cents.md'), 'utf8')).toBe(mine);
  });

  it('shows a note whose body holds <script> as text, and runs nothing', async () => {
    await page.goto(`${service.url}/web/note?path=hostile%2Fscript.md`);
    expect(await text('pre.note-body')).toContain('<script>window.__pwned = 1</script>');
    expect(await page.$$eval('script', (scripts) => scripts.length)).toBe(0);
    expect(await page.$$eval('main img', (images) => images.length)).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await shot('07-script-note');
  });

  it('lists the sessions newest first with their first task and skills, and shows one session’s calls', async () => {
    await page.goto(`${service.url}/web/sessions`);
    const rows = await page.$$eval('main tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('sess-newer');
    expect(rows[0]).toContain('task: Add VAT to invoices');
    expect(rows[0]).toContain('tdd_red, review');
    expect(rows[1]).toContain('sess-older');
    expect(rows[1]).toContain('requirements: Write the spec of the export <script>window.__pwned = 3</script>');
    expect(await page.$$eval('script', (scripts) => scripts.length)).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await shot('08-sessions');

    await follow('a[href="/web/session?id=sess-newer"]');
    const calls = await page.$$eval('section.call', (sections) => sections.map((section) => section.textContent ?? ''));
    expect(calls).toHaveLength(2);
    expect(calls[1]).toContain('review');
    expect(calls[1]).toContain('big-reviewer');
    expect(calls[1]).toContain('qwen-coder: timeout');
    expect(calls[1]).toContain('files: src/invoice.ts');
    expect(calls[1]).toContain('testing/flaky-retries.md');
    expect(calls[1]).toContain('Round the VAT per line, not per invoice.');
    await shot('09-session');
  });

  it('lists the notes that do not parse with the reason, and the eval scoreboard', async () => {
    await page.goto(`${service.url}/web/status`);
    const malformed = await page.$$eval('main table:first-of-type tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(malformed).toHaveLength(1);
    expect(malformed[0]).toContain('broken.md');
    expect(malformed[0]).toContain('not valid YAML');
    const body = await text('main');
    expect(body).toContain('qwen-coder');
    expect(body).toContain('3 / 4');
    await shot('10-problems-and-scores');
  });

  it('never put the token in a URL the browser asked for, nor in the service log', () => {
    expect(requested.length).toBeGreaterThan(10);
    for (const url of requested) expect(url).not.toContain(TOKEN);
    expect(service.logs().length).toBeGreaterThan(0);
    expect(service.logs()).not.toContain(TOKEN);
  });
});
