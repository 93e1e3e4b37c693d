import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectAttachments, FILE_CAP_BYTES } from '../src/consult/attach.js';
import { assemblePrompt, estimateTokens } from '../src/consult/prompt.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let projects: string;
let project: string;
let outside: string;
beforeAll(async () => {
  projects = await mkdtemp(join(tmpdir(), 'supervisor-projects-'));
  project = join(projects, 'shop');
  outside = await mkdtemp(join(tmpdir(), 'supervisor-secret-'));
  await mkdir(join(project, 'src'), { recursive: true });
  await writeFile(join(project, 'src', 'cart.ts'), 'export const total = (items) => items.reduce((s, i) => s + i.price, 0);\n');
  await writeFile(join(project, 'src', 'big.ts'), `${'// line of code\n'.repeat(10_000)}`);
  await writeFile(join(project, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]));
  await writeFile(join(outside, 'secret.txt'), 'password=hunter2');
  await symlink(join(outside, 'secret.txt'), join(project, 'src', 'link.ts'));
});
afterAll(async () => {
  await rm(projects, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('the server reads the named files itself only under SUPERVISOR_PROJECT_ROOTS', () => {
  it('attaches readable files, and skips binary, escaping, missing and oversized ones with the reason', async () => {
    const { attachments, report } = await collectAttachments({
      given: [],
      named: ['src/cart.ts', 'src/big.ts', 'logo.png', '../../etc/passwd', 'src/link.ts', 'src/missing.ts', '/etc/passwd'],
      projectRoot: project,
      readableRoots: [projects],
    });
    expect(attachments.map((a) => a.path)).toEqual(['src/cart.ts', 'src/big.ts']);
    expect(attachments[1]?.content.length).toBeLessThanOrEqual(FILE_CAP_BYTES);
    expect(report).toEqual([
      { path: 'src/cart.ts', status: 'attached', chars: 72 },
      { path: 'src/big.ts', status: 'attached', chars: expect.any(Number), reason: expect.stringMatching(/^first \d+ characters only$/) },
      { path: 'logo.png', status: 'skipped', reason: 'binary file' },
      { path: '../../etc/passwd', status: 'skipped', reason: 'paths must be relative to project_root, without ..' },
      { path: 'src/link.ts', status: 'skipped', reason: 'resolves outside project_root (a symbolic link)' },
      { path: 'src/missing.ts', status: 'skipped', reason: 'not found' },
      { path: '/etc/passwd', status: 'skipped', reason: 'paths must be relative to project_root, without ..' },
    ]);
    expect(JSON.stringify(attachments)).not.toContain('hunter2');
  });

  it('reads nothing when project_root is not under an allowed root, and says how to send the code', async () => {
    const { attachments, report } = await collectAttachments({ given: [], named: ['src/cart.ts'], projectRoot: project, readableRoots: [] });
    expect(attachments).toEqual([]);
    expect(report[0]?.reason).toMatch(/SUPERVISOR_PROJECT_ROOTS.*attachments or use the bridge/);
  });

  it('code the caller attached wins over reading the file', async () => {
    const { attachments, report } = await collectAttachments({
      given: [{ path: 'src/cart.ts', content: 'edited in the editor, not saved' }],
      named: ['src/cart.ts'],
      projectRoot: project,
      readableRoots: [projects],
    });
    expect(attachments).toEqual([{ path: 'src/cart.ts', content: 'edited in the editor, not saved' }]);
    expect(report).toEqual([{ path: 'src/cart.ts', status: 'given', chars: 31 }]);
  });
});

describe('a review through MCP with server-side reading', () => {
  let sup: TestSupervisor;
  beforeAll(async () => {
    sup = await startTestSupervisor({ SUPERVISOR_PROJECT_ROOTS: projects });
  });
  afterAll(async () => {
    await sup.stop();
  });

  it('the model sees the file the call names, and the result lists what was attached or skipped', async () => {
    const client = await sup.connect();
    const result = await client.callTool({ name: 'review', arguments: { project_root: project, files: ['src/cart.ts', 'src/link.ts'] } });
    expect(sup.llm.requests.at(-1)?.messages[1]?.content).toContain('1 | export const total = (items) => items.reduce');
    expect((result.structuredContent as { files: unknown[] }).files).toEqual([
      { path: 'src/cart.ts', status: 'attached', chars: 72 },
      { path: 'src/link.ts', status: 'skipped', reason: 'resolves outside project_root (a symbolic link)' },
    ]);
  });
});

describe('fitting the prompt to the context window', () => {
  const hit = (i: number) => ({ path: `n${i}.md`, title: `Note ${i}`, excerpt: 'x'.repeat(280), score: 1, sha256: '0'.repeat(64) });
  const entry = (i: number) => ({
    session_id: 's', timestamp: '2026-11-21T10:00:00Z', skill: 'debug', phase: 'debug', project_root: null, final_status: 'ok' as const,
    model_used: 'm', duration_ms: 1, message: `finding ${i} ${'y'.repeat(180)}`, attempts: [], usage: null,
  });

  it('history is a short list: the 20 most recent entries at most, even when more would fit', () => {
    const prompt = assemblePrompt({
      protocols: 'P',
      discipline: 'D',
      knowledge: [],
      history: Array.from({ length: 50 }, (_, i) => entry(i)),
      task: { phase: 'review', projectRoot: '/p', fields: [], attachments: [] },
      contextWindow: 131_072,
    });
    expect(prompt.historyUsed).toBe(20);
    expect(prompt.cut.history).toBe(30);
    expect(prompt.user).toContain('finding 30 ');
    expect(prompt.user).not.toContain('finding 29 ');
  });

  it('keeps the task and its code, then as much knowledge and recent history as fit, and reports the cut', () => {
    const prompt = assemblePrompt({
      protocols: 'P',
      discipline: 'D',
      knowledge: Array.from({ length: 5 }, (_, i) => hit(i)),
      history: Array.from({ length: 200 }, (_, i) => entry(i)),
      task: { phase: 'review', projectRoot: '/p', fields: [['Files', 'a.ts']], attachments: [{ path: 'a.ts', content: 'const a = 1;\n'.repeat(300) }] },
      contextWindow: 4096,
    });
    expect(estimateTokens(prompt.system + prompt.user)).toBeLessThanOrEqual(4096 - 1024);
    expect(prompt.user).toContain('const a = 1;');
    expect(prompt.cut.truncated).toEqual([]);
    expect(prompt.knowledgeUsed).toHaveLength(5);
    expect(prompt.historyUsed).toBeGreaterThan(0);
    expect(prompt.historyUsed).toBeLessThan(20); // the window, not the cap, limited it
    expect(prompt.cut.history).toBe(200 - prompt.historyUsed);
    // the most recent history is what stays, oldest first in the text
    expect(prompt.user).toContain('finding 199');
    expect(prompt.user).not.toContain('finding 0 ');
    expect(prompt.user.indexOf('finding 198')).toBeLessThan(prompt.user.indexOf('finding 199'));
  });

  it('shortens the largest attachment when the code alone does not fit, and says so in the prompt and the result', () => {
    const prompt = assemblePrompt({
      protocols: 'P',
      discipline: 'D',
      knowledge: [hit(1)],
      history: [],
      task: { phase: 'review', projectRoot: '/p', fields: [], attachments: [{ path: 'huge.ts', content: 'z'.repeat(100_000) }, { path: 'small.ts', content: 'ok' }] },
      contextWindow: 4096,
    });
    expect(estimateTokens(prompt.system + prompt.user)).toBeLessThanOrEqual(4096 - 1024);
    expect(prompt.cut).toMatchObject({ truncated: ['huge.ts'], knowledge: 1 });
    expect(prompt.user).toMatch(/… \[cut: \d+ more characters did not fit the model's context\]/);
    expect(prompt.user).toContain('#### `small.ts`');
  });
});
