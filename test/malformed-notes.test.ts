/**
 * The web page's list of notes that do not parse (/web/status) is kept in the index, so it outlives
 * a restart: a broken note unchanged since the last run is not read again at start, yet it is
 * listed with its reason; fixed on disk it leaves the list, for good; an index from before it kept
 * problems is rebuilt from the notes.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../ingestion/search-index.js';
import { startService, type TestService } from './support/service.js';
import { waitFor } from './support/wait.js';

const BROKEN = '---\ntitle: [never closed\n---\nThe body of a broken note is still searched.\n';
const REASON = 'frontmatter is not valid YAML';

let dir: string;
let knowledge: string;
let running: TestService | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-malformed-'));
  knowledge = join(dir, 'knowledge');
  await mkdir(knowledge, { recursive: true });
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Starts the service on the test's brain folder, stopping the one before it: the index file stays. */
async function restart(): Promise<TestService> {
  await running?.stop();
  running = await startService({ brainDir: dir });
  return running;
}

/** The rows of the page's table of notes that do not parse, as text, and the sentence above it. */
async function problemsPage(service: TestService): Promise<{ rows: string[]; text: string }> {
  const page = await service.get('/web/status');
  expect(page.status).toBe(200);
  const part = page.text.slice(page.text.indexOf('<h2>Notes that do not parse</h2>'), page.text.indexOf('<h2>Eval scoreboard</h2>'));
  const body = part.slice(part.indexOf('<tbody>'), part.indexOf('</tbody>'));
  return { rows: [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) => row[1] ?? ''), text: part };
}

/** The "brain index ready" report of the service's start: how many notes it read and left unread. */
function startReport(service: TestService): { indexed: number; unchanged: number } {
  const line = service.logs().split('\n').find((l) => l.includes('"brain index ready"'));
  return JSON.parse(line ?? '{}') as { indexed: number; unchanged: number };
}

describe('the notes that do not parse, across restarts', () => {
  it('a broken note is still listed with its reason after a restart that did not read it, and leaves the list once fixed on disk', async () => {
    await writeFile(join(knowledge, 'broken.md'), BROKEN);
    await writeFile(join(knowledge, 'fine.md'), '---\ntitle: Fine\n---\nNothing wrong here.\n');

    const first = await restart();
    expect((await problemsPage(first)).rows).toEqual([expect.stringContaining('broken.md')]);
    expect(existsSync(join(dir, '.index', 'brain.sqlite'))).toBe(true);

    const second = await restart();
    // The start read no note again: the list below comes from the index alone.
    expect(startReport(second)).toMatchObject({ indexed: 0, unchanged: 2 });
    const { rows } = await problemsPage(second);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('broken.md');
    expect(rows[0]).toContain(REASON);
    expect(second.brain.malformed.total).toBe(1);
    expect(second.brain.malformed.list()).toEqual([expect.objectContaining({ path: 'broken.md', problem: expect.stringContaining(REASON) })]);

    await writeFile(join(knowledge, 'broken.md'), '---\ntitle: Mended\n---\nThe frontmatter parses now.\n');
    await waitFor(async () => (await problemsPage(second)).rows.every((row) => !row.includes('broken.md')), 'the fixed note leaving the list');
    expect(second.brain.malformed.total).toBe(0);

    // The index holds the fix too: the next start lists nothing.
    const third = await restart();
    expect((await problemsPage(third)).rows).toEqual([expect.stringContaining('None: every note read parses.')]);
    expect(third.brain.malformed.total).toBe(0);
  });

  it('a note fixed through /write and one broken on disk while running are kept so, and the page counts every broken note beyond those it shows', async () => {
    await Promise.all(Array.from({ length: 102 }, (_, i) => writeFile(join(knowledge, `bad-${String(i).padStart(3, '0')}.md`), BROKEN)));
    const first = await restart();
    expect(first.brain.malformed.total).toBe(102);
    const fixed = await first.post('/write', { filename: 'bad-000', content: '---\ntitle: Mended\n---\nFixed through the API.\n', mode: 'overwrite' });
    expect(fixed.status).toBe(200);
    expect(first.brain.malformed.total).toBe(101);
    await writeFile(join(knowledge, 'late.md'), BROKEN);
    await waitFor(() => first.brain.malformed.total === 102, 'the note broken on disk joining the list');

    const second = await restart();
    expect(startReport(second)).toMatchObject({ indexed: 0, unchanged: 103 });
    const { rows, text } = await problemsPage(second);
    expect(rows).toHaveLength(100);
    expect(text).toContain('The newest 100 of 102 are shown.');
    // Newest first: the note broken last heads the list; the one fixed is on it no more.
    expect(rows[0]).toContain('late.md');
    expect(second.brain.malformed.total).toBe(102);
    expect(second.brain.malformed.list(1000).map((note) => note.path)).not.toContain('bad-000.md');
  });

  it(`an index of the schema before problems were kept (${SCHEMA_VERSION - 1}) is rebuilt from the notes, and the broken note listed`, async () => {
    await writeFile(join(knowledge, 'broken.md'), BROKEN);
    // The previous schema, holding the note with its current stamp: only a rebuild reads it again.
    await mkdir(join(dir, '.index'), { recursive: true });
    const db = new Database(join(dir, '.index', 'brain.sqlite'));
    db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, title TEXT NOT NULL, type TEXT, domain TEXT,
      size INTEGER NOT NULL, mtime_ms REAL NOT NULL, ino INTEGER NOT NULL, sha256 TEXT NOT NULL);
      PRAGMA user_version = ${SCHEMA_VERSION - 1};`);
    const stat = statSync(join(knowledge, 'broken.md'));
    db.prepare('INSERT INTO notes (path, title, size, mtime_ms, ino, sha256) VALUES (?, ?, ?, ?, ?, ?)').run('broken.md', 'broken', stat.size, stat.mtimeMs, stat.ino, '0'.repeat(64));
    db.close();

    const service = await restart();
    expect(service.logs()).toContain(`index schema ${SCHEMA_VERSION - 1} is not ${SCHEMA_VERSION}`);
    expect(startReport(service)).toMatchObject({ indexed: 1, unchanged: 0 });
    const { rows } = await problemsPage(service);
    expect(rows).toEqual([expect.stringContaining('broken.md')]);
    expect(rows[0]).toContain(REASON);
  });
});
