/**
 * Vitest global setup: the process tests run the built command line, dist/src/cli.js, the one a
 * user runs (`npm run build`), so a test run builds it first — once, and only when a source is newer
 * than the last build. Two runs at once take turns through a lock folder, so neither starts
 * processes from half-written files.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const repo = resolve(import.meta.dirname, '..', '..');
const dist = join(repo, 'dist');
/** Holds the newest source time the build in dist/ was made from. */
const stamp = join(dist, '.built-for-tests');
const lock = join(dist, '.building');
/** What tsconfig.build.json compiles, and what decides how. */
const SOURCES = ['common', 'src', 'ingestion', 'bench', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const source of SOURCES) {
    const path = join(repo, source);
    const info = await stat(path).catch(() => null);
    if (!info) continue;
    newest = Math.max(newest, info.mtimeMs);
    if (!info.isDirectory()) continue;
    for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
    }
  }
  return newest;
}

async function builtFrom(): Promise<number> {
  return Number(await readFile(stamp, 'utf8').catch(() => '0')) || 0;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs `work` holding the lock; a lock left by a build that died is taken over. */
async function locked(work: () => Promise<void>): Promise<void> {
  const deadline = performance.now() + 10 * 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
      if (owner && !alive(owner)) await rm(lock, { recursive: true, force: true });
      else if (performance.now() > deadline) throw new Error(`${lock} is held by process ${owner}: another test run is building`, { cause: error });
      else await new Promise((done) => setTimeout(done, 250));
    }
  }
  try {
    await writeFile(join(lock, 'pid'), String(process.pid));
    await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export default async function setup(): Promise<void> {
  await mkdir(dist, { recursive: true });
  await locked(async () => {
    const sources = await newestSource();
    if ((await builtFrom()) >= sources) return;
    // The build users run, bundled bridge included: tsc alone would leave dist/ with an unbundled one.
    try {
      await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: repo });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`npm run build failed, so the process tests cannot run:\n${stdout}${stderr}`, { cause: error });
    }
    await writeFile(stamp, String(sources));
  });
}
