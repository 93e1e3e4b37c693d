/**
 * A session log recovers from a torn last line before every append, through the real MCP client: a
 * partial line another writer left after our own append is not glued to our next entry (which would
 * lose it), and a write of ours that a full disk cuts short is cut back, so we never leave a torn line
 * ourselves. The full disk is a real one: a small tmpfs, mounted for the test (root only; skipped,
 * saying why, where mounting is not permitted) and always unmounted.
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSupervisor, useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

type Text = { type: string; text: string };
const texts = (result: unknown) => (result as { content: Text[] }).content.map((c) => c.text);

describe('a torn line left by another writer', () => {
  let sup: TestSupervisor;
  let client: Client;
  useTestSupervisor((started, connected) => ((sup = started), (client = connected)));

  it('after our own append is not glued to our next entry: it is read back whole', async () => {
    const debug = (error: string) => client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error, session_id: 'torn-after-ours' } });
    await debug('the first failure');
    const log = join(sup.sessionFiles!.dir, 'torn-after-ours.jsonl');
    // A second writer on the same folder dies half-way through its line.
    await appendFile(log, '{"session_id":"torn-after-ours","skill":"rev');
    await debug('the second failure');

    const entries = await sup.sessionFiles!.read('torn-after-ours');
    expect(entries.map((e) => [e.skill, e.arguments?.error])).toEqual([
      ['debug', 'the first failure'],
      ['debug', 'the second failure'],
    ]);
    const lines = (await readFile(log, 'utf8')).split('\n');
    expect(lines[1]).toBe('{"session_id":"torn-after-ours","skill":"rev');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
  });
});

describe('a write of ours cut short by a full disk', () => {
  const run = promisify(execFile);
  let mountPoint: string | undefined;
  /** Why the test cannot run here, when it cannot. */
  let cannot: string | undefined;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'supervisor-full-disk-'));
    try {
      // 256 KiB: the server's writes fit, and filling the rest takes a moment.
      await run('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
      mountPoint = dir;
    } catch (error) {
      cannot = `cannot mount a tmpfs here (root and CAP_SYS_ADMIN needed): ${String((error as { stderr?: string }).stderr ?? error).trim()}`;
      await rm(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    if (!mountPoint) return;
    await run('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  /** Writes to `file` until the disk refuses: what is left free is only the slack of pages in use. */
  async function fillDisk(file: string): Promise<void> {
    const handle = await open(file, 'w');
    try {
      const block = Buffer.alloc(4096, 0x78);
      for (;;) {
        const { bytesWritten } = await handle.write(block);
        if (bytesWritten < block.length) break;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      await handle.close();
    }
  }

  it('is cut back: the log keeps only whole lines, the call says the entry was not written, and the next entry is read back whole', async (context) => {
    if (!mountPoint) return context.skip(cannot);
    const sessions = join(mountPoint, 'sessions');
    await mkdir(sessions);
    // Long answers: an entry (its first 4,000 characters) needs more than the slack of the log's last page.
    const answer = `${'A long finding about the checkout total. '.repeat(120)}`;
    const sup = await startTestSupervisor({ SUPERVISOR_SESSIONS_DIR: sessions }, { answer: { kind: 'answer', text: answer } });
    try {
      const client = await sup.connect();
      const debug = (error: string) => client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error, session_id: 'full-disk' } });
      const log = join(sessions, 'full-disk.jsonl');
      expect((await debug('before the disk filled')).isError).toBeFalsy();
      const whole = await stat(log);

      await fillDisk(join(mountPoint, 'filler'));
      const refused = await debug('while the disk is full');
      expect(refused.isError).toBeFalsy();
      expect(texts(refused)[1]).toMatch(/^Session log not written: the disk is full \(ENOSPC\)/);
      // Cut back to the last whole line: nothing of the refused entry is left.
      expect((await stat(log)).size).toBe(whole.size);

      await rm(join(mountPoint, 'filler'));
      expect((await debug('after space was freed')).isError).toBeFalsy();
      const entries = await sup.sessionFiles!.read('full-disk');
      expect(entries.map((e) => e.arguments?.error)).toEqual(['before the disk filled', 'after space was freed']);
      const lines = (await readFile(log, 'utf8')).split('\n');
      expect(lines).toHaveLength(3);
      for (const line of lines.slice(0, 2)) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      await sup.stop();
    }
  });
});
