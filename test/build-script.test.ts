/**
 * scripts/build.mjs, the build before `npm start` and the other run scripts: nothing is compiled when
 * nothing changed, and everything a change touches is. Run on a small project of the same layout in
 * a temp folder (the project's own node_modules linked in, for tsc and esbuild), so the test takes
 * seconds and never races the dist/ that other tests run.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './support/cli.js';

let root: string;

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

/** Runs the build in the small project: its exit code and what it printed (all on stderr). */
function build(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(root, 'scripts', 'build.mjs'), ...args], { cwd: root }, (error, stdout, stderr) =>
      done({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const output = (path: string) => readFile(join(root, 'dist', path), 'utf8');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'supervisor-build-'));
  await mkdir(join(root, 'scripts'));
  await copyFile(join(REPO, 'scripts', 'build.mjs'), join(root, 'scripts', 'build.mjs'));
  await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const bundle = 'esbuild src/bridge/main.ts --bundle --platform=node --format=esm --outfile=dist/src/bridge/main.js --allow-overwrite --log-level=warning';
  await put('package.json', JSON.stringify({ name: 'small', type: 'module', scripts: { 'bundle-bridge': bundle } }));
  await put(
    'tsconfig.json',
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], types: [], strict: true, skipLibCheck: true, rootDir: '.', outDir: 'dist' } }),
  );
  await put('tsconfig.build.json', JSON.stringify({ extends: './tsconfig.json', include: ['common', 'src'] }));
  await put('src/cli.ts', "export const greeting: string = 'first';\n");
  await put('src/extra.ts', 'export const extra = 1;\n');
  await put('src/bridge/main.ts', "import { word } from '../../common/word.js';\nexport const bridged = word;\n");
  await put('common/word.ts', "export const word = 'alpha';\n");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the build before each start', () => {
  it('compiles and bundles the first time, printing only to stderr', async () => {
    const first = await build();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toContain('build: compiling');
    expect(await output('src/cli.js')).toContain("'first'");
    expect(await output('src/bridge/main.js')).toContain('"alpha"');
  });

  it('does nothing when nothing changed', async () => {
    const before = (await stat(join(root, 'dist', 'src', 'cli.js'))).mtimeMs;
    const again = await build();
    expect(again).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await stat(join(root, 'dist', 'src', 'cli.js'))).mtimeMs).toBe(before);
  });

  it('rebuilds after a source changed, the bridge bundle included', async () => {
    await put('src/cli.ts', "export const greeting: string = 'second';\n");
    await put('common/word.ts', "export const word = 'beta';\n");
    const changed = await build();
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stderr).toContain('sources changed');
    expect(await output('src/cli.js')).toContain("'second'");
    expect(await output('src/bridge/main.js')).toContain('"beta"');
    expect((await build()).stderr).toBe('');
  });

  it('removes the output of a deleted source', async () => {
    expect(await output('src/extra.js')).toContain('extra');
    await unlink(join(root, 'src', 'extra.ts'));
    const pruned = await build();
    expect(pruned.code, pruned.stderr).toBe(0);
    await expect(stat(join(root, 'dist', 'src', 'extra.js'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails with the compiler\'s message on a type error, and tries again on the next start until it is fixed', async () => {
    await put('src/cli.ts', 'export const greeting: string = 42;\n');
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await build();
      expect(failed.code).not.toBe(0);
      expect(failed.stdout).toBe('');
      expect(failed.stderr).toMatch(/src\/cli\.ts.*TS2322/);
      // The lock is released: the next start does not wait for a build that is over.
      await expect(stat(join(root, 'dist', '.building'))).rejects.toMatchObject({ code: 'ENOENT' });
    }
    await put('src/cli.ts', "export const greeting: string = 'third';\n");
    const fixed = await build();
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(await output('src/cli.js')).toContain("'third'");
  });

  it('rebuilds when an output is missing, and always with --force', async () => {
    await unlink(join(root, 'dist', 'src', 'cli.js'));
    const restored = await build();
    expect(restored.code, restored.stderr).toBe(0);
    expect(await output('src/cli.js')).toContain("'third'");
    const forced = await build('--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('--force');
  });
});
