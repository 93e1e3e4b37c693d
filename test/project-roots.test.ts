/**
 * Issue 8, items 3 and 9: the server reads a project's files itself only where SUPERVISOR_PROJECT_ROOTS
 * allows, judged on real paths (a symbolic link cannot carry project_root out), and only regular files:
 * a FIFO or a device named in `files` is skipped at once and never ties up the server.
 */
import { execFileSync } from 'node:child_process';
import { constants, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

type FileReport = Array<{ path: string; status: string; reason?: string }>;

let allowed: string; // SUPERVISOR_PROJECT_ROOTS
let project: string;
let outside: string;
let allowedLink: string; // a symbolic link to `allowed`, itself listed as the allowed root
let sup: TestSupervisor;
let linkedSup: TestSupervisor;
const fifos: string[] = [];

beforeAll(async () => {
  allowed = await mkdtemp(join(tmpdir(), 'supervisor-allowed-'));
  outside = await mkdtemp(join(tmpdir(), 'supervisor-outside-'));
  project = join(allowed, 'shop');
  await mkdir(join(project, 'src'), { recursive: true });
  await writeFile(join(project, 'src', 'cart.ts'), 'export const total = 1;\n');
  await writeFile(join(outside, 'secret.txt'), 'password=hunter2\n');
  await symlink(outside, join(allowed, 'escape')); // inside the allowed root, pointing out of it
  await symlink('/', join(allowed, 'machine'));
  await symlink('/dev/zero', join(project, 'zero'));
  for (let i = 0; i < 5; i++) {
    const fifo = join(project, `pipe-${i}`);
    execFileSync('mkfifo', [fifo]);
    fifos.push(fifo);
  }
  allowedLink = `${allowed}-link`;
  await symlink(allowed, allowedLink);
  sup = await startTestSupervisor({ SUPERVISOR_PROJECT_ROOTS: allowed });
  linkedSup = await startTestSupervisor({ SUPERVISOR_PROJECT_ROOTS: allowedLink });
});

afterAll(async () => {
  // Code that opened a FIFO for reading waits for a writer: be one, so nothing stays blocked.
  for (const fifo of fifos) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting: nothing to release
    }
  }
  await Promise.all([sup?.stop(), linkedSup?.stop()]);
  await rm(allowedLink, { force: true });
  await rm(allowed, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const everythingSent = (s: TestSupervisor) => JSON.stringify(s.llm.requests);

describe('SUPERVISOR_PROJECT_ROOTS is judged on real paths', () => {
  it('a project_root that is a link inside an allowed root, pointing out of it, reads nothing', async () => {
    const client = await sup.connect();
    const result = await client.callTool({ name: 'review', arguments: { project_root: join(allowed, 'escape'), files: ['secret.txt'] } });
    expect(result.isError).toBeFalsy();
    expect(everythingSent(sup)).not.toContain('hunter2');
    const [file] = (result.structuredContent as { files: FileReport }).files;
    expect(file).toMatchObject({ path: 'secret.txt', status: 'skipped', reason: expect.stringMatching(/resolves outside SUPERVISOR_PROJECT_ROOTS \(a symbolic link\)/) });
    expect(file?.reason).not.toContain(outside); // no server path in what the client sees
  });

  it('a link to / inside an allowed root does not open the machine', async () => {
    const client = await sup.connect();
    const result = await client.callTool({ name: 'review', arguments: { project_root: join(allowed, 'machine'), files: ['etc/passwd', 'etc/hostname'] } });
    expect(everythingSent(sup)).not.toMatch(/root:x?:0:0/);
    expect((result.structuredContent as { files: FileReport }).files.map((f) => f.status)).toEqual(['skipped', 'skipped']);
  });

  it('an allowed root given as a link allows the real folder it points to', async () => {
    const client = await linkedSup.connect();
    const result = await client.callTool({ name: 'review', arguments: { project_root: project, files: ['src/cart.ts'] } });
    expect((result.structuredContent as { files: FileReport }).files).toEqual([{ path: 'src/cart.ts', status: 'attached', chars: 24 }]);
    expect(linkedSup.llm.requests.at(-1)?.messages[1]?.content).toContain('export const total = 1;');
  });
});

describe('only regular files are read', () => {
  it('FIFOs and devices are skipped at once as "not a regular file"; the brain still takes writes afterwards', async () => {
    const client = await sup.connect();
    // Four blocked reads would fill libuv's thread pool: five calls at once, each naming a FIFO.
    const calls = fifos.map((fifo, i) =>
      client.callTool(
        { name: 'review', arguments: { project_root: project, files: [fifo.slice(project.length + 1), 'src/cart.ts'], session_id: `fifo-${i}` } },
        undefined,
        { timeout: 5000 },
      ),
    );
    const results = await Promise.all(calls);
    for (const [i, result] of results.entries()) {
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { files: FileReport }).files).toEqual([
        { path: `pipe-${i}`, status: 'skipped', reason: 'not a regular file' },
        { path: 'src/cart.ts', status: 'attached', chars: 24 },
      ]);
    }

    const devices = await client.callTool(
      { name: 'review', arguments: { project_root: '/dev', files: ['zero', 'null'] } },
      undefined,
      { timeout: 5000 },
    );
    // /dev is not an allowed root: nothing is read there at all
    expect((devices.structuredContent as { files: FileReport }).files.every((f) => f.status === 'skipped')).toBe(true);
    const linked = await client.callTool({ name: 'review', arguments: { project_root: project, files: ['zero'] } }, undefined, { timeout: 5000 });
    expect((linked.structuredContent as { files: FileReport }).files).toEqual([
      { path: 'zero', status: 'skipped', reason: 'resolves outside project_root (a symbolic link)' },
    ]);

    const written = await client.callTool({ name: 'brain_write', arguments: { content: 'Read regular files only.', title: 'After the FIFOs' } }, undefined, { timeout: 5000 });
    expect(written.isError).toBeFalsy();
    expect(written.structuredContent).toMatchObject({ path: 'after-the-fifos.md' });
  });
});

describe('devices under an allowed root', () => {
  let devSup: TestSupervisor;
  beforeAll(async () => {
    devSup = await startTestSupervisor({ SUPERVISOR_PROJECT_ROOTS: '/dev' });
  });
  afterAll(async () => {
    await devSup.stop();
  });

  it('/dev/zero and /dev/null are reported "not a regular file", never read', async () => {
    const client = await devSup.connect();
    const result = await client.callTool({ name: 'review', arguments: { project_root: '/dev', files: ['zero', 'null'] } }, undefined, { timeout: 5000 });
    expect((result.structuredContent as { files: FileReport }).files).toEqual([
      { path: 'zero', status: 'skipped', reason: 'not a regular file' },
      { path: 'null', status: 'skipped', reason: 'not a regular file' },
    ]);
  });
});
