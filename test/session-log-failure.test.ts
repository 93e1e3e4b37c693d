import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor | undefined;
let scratch: string | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

type Text = { type: string; text: string };
const texts = (result: unknown) => (result as { content: Text[] }).content.map((c) => c.text);

it("a session log that cannot be written keeps the model's answer and says so beside it", async () => {
  scratch = await mkdtemp(join(tmpdir(), 'supervisor-unwritable-'));
  const file = join(scratch, 'a-file');
  await writeFile(file, 'not a folder');
  // The sessions folder lies under a regular file: every append fails with ENOTDIR.
  sup = await startTestSupervisor({ SUPERVISOR_SESSIONS_DIR: join(file, 'sessions') }, { answer: { kind: 'answer', text: 'the model answer' } });
  const client = await sup.connect();

  const result = await client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: 'boom' } });

  expect(result.isError).toBeFalsy();
  expect(texts(result)[0]).toBe('the model answer');
  expect(texts(result)[1]).toMatch(/^Session log not written: a path on the way is a file, not a folder \(ENOTDIR\); the server log has the details/);
  expect(result.structuredContent).toMatchObject({ text: 'the model answer', session_log: expect.stringMatching(/^not written: .*ENOTDIR/) });
  // The caller is told what happened, not where: the server's paths stay in its log.
  expect(JSON.stringify(result)).not.toContain(scratch);
  expect(sup.logs()).toContain('cannot write the session log');
});

it('a log whose name is a symbolic link is neither followed nor written: the answer says so', async () => {
  scratch = await mkdtemp(join(tmpdir(), 'supervisor-linked-log-'));
  const sessions = join(scratch, 'sessions');
  await mkdir(sessions);
  const outside = join(scratch, 'elsewhere.txt');
  await writeFile(outside, 'someone else\'s file\n');
  await symlink(outside, join(sessions, 'linked.jsonl'));
  sup = await startTestSupervisor({ SUPERVISOR_SESSIONS_DIR: sessions }, { answer: { kind: 'answer', text: 'the model answer' } });
  const client = await sup.connect();

  const result = await client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: 'boom', session_id: 'linked' } });

  expect(texts(result)[0]).toBe('the model answer');
  expect(result.structuredContent).toMatchObject({ session_log: expect.stringMatching(/^not written: the log of session linked is not a regular file/) });
  expect(await readFile(outside, 'utf8')).toBe("someone else's file\n");
  expect(JSON.stringify(result)).not.toContain(scratch);
});
