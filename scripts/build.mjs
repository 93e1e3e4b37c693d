#!/usr/bin/env node
// @ts-check
/* global process, console, performance, setTimeout */
/**
 * `npm run build`, and the build before `npm start`, `npm run fake-llm` and the other run scripts:
 * compiles (tsconfig.build.json) and bundles the bridge only when something they are made from changed
 * since the last build, so a start with nothing changed takes about a second instead of a full compile.
 *
 * "Changed" is a fingerprint of every source's path, size and modification time, kept in dist/ by the
 * last build that succeeded: an edit, a new file, a deleted file, a `git checkout` or an `npm install`
 * (the bridge bundle holds its dependencies' code) each change it. After a build, outputs whose source
 * is gone are removed, so dist/ (and the package packed from it) holds no module from a deleted file.
 * `--force` builds whatever the fingerprint says. Two builds at once take turns through a lock folder,
 * so neither runs a half-written dist/.
 *
 * Plain JavaScript: it runs before anything is compiled, and must start faster than tsx would.
 * Everything it prints goes to stderr: `npm run -s bridge` speaks MCP on stdout.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const dist = join(repo, 'dist');
const stampFile = join(dist, '.build-fingerprint');
const lock = join(dist, '.building');
const buildInfo = join(dist, '.tsbuildinfo');
/** The folders tsconfig.build.json compiles into dist/<folder>. */
const COMPILED = ['common', 'src', 'ingestion', 'bench', 'scripts'];
/** What decides how they are compiled and bundled; node_modules/.package-lock.json changes with every install. */
const SETTINGS = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', join('node_modules', '.package-lock.json')];
/** Outputs without which dist/ is no build, whatever the fingerprint says. */
const OUTPUTS = [join('src', 'cli.js'), join('src', 'bridge', 'main.js')];

/** @param {string} dir */
async function filesUnder(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

async function fingerprint() {
  const files = SETTINGS.map((file) => join(repo, file));
  for (const folder of COMPILED) files.push(...(await filesUnder(join(repo, folder))));
  const lines = await Promise.all(
    files.map(async (file) => {
      const info = await stat(file).catch(() => null);
      return `${relative(repo, file)}\0${info ? `${info.size}\0${info.mtimeMs}` : 'absent'}`;
    }),
  );
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}

/** @param {number} pid */
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Runs `work` holding the lock; a lock left by a build that died is taken over.
 * @param {() => Promise<void>} work
 */
async function locked(work) {
  const deadline = performance.now() + 10 * 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
      if (owner && !alive(owner)) await rm(lock, { recursive: true, force: true });
      else if (performance.now() > deadline) throw new Error(`${lock} is held by process ${owner}: another build is running`, { cause: error });
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

/**
 * Runs a build step with its output on stderr; a failure stops the build with the step's exit code.
 * @param {string} what
 * @param {string} command
 * @param {string[]} args
 */
function step(what, command, args) {
  const { status, error } = spawnSync(command, args, { cwd: repo, stdio: ['ignore', 2, 2] });
  if (error || status !== 0) throw new BuildFailed(`build: ${what} failed${error ? `: ${error.message}` : ''}`, status || 1);
}

/** A step that failed: its own output has said why; the build exits with its code, lock released. */
class BuildFailed extends Error {
  /** @param {string} message @param {number} code */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Removes compiled outputs whose source file no longer exists. */
async function pruneOrphans() {
  for (const folder of COMPILED) {
    for (const output of await filesUnder(join(dist, folder))) {
      const source = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/.exec(relative(dist, output))?.[1];
      if (source !== undefined && !existsSync(join(repo, `${source}.ts`))) await unlink(output);
    }
  }
}

async function build() {
  const force = process.argv.includes('--force');
  await mkdir(dist, { recursive: true });
  await locked(async () => {
    // Taken before compiling: a source saved during the build makes the next start build again.
    const sources = await fingerprint();
    const built = await readFile(stampFile, 'utf8').catch(() => '');
    const complete = OUTPUTS.every((output) => existsSync(join(dist, output)));
    if (!force && complete && built === sources) return;
    await rm(stampFile, { force: true });
    // tsc's own incremental state re-emits only what a change affects; it cannot see outputs deleted
    // behind its back, so a forced build or a dist/ missing its outputs starts from none.
    if (force || !complete) await rm(buildInfo, { force: true });
    console.error(force ? 'build: compiling (--force)' : built ? 'build: sources changed since the last build, compiling' : 'build: compiling');
    const tsc = [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', buildInfo];
    step('tsc -p tsconfig.build.json', process.execPath, tsc);
    // The bundle's command stays in package.json, where test/bridge-bundle.test.ts runs it too.
    step('npm run bundle-bridge', 'npm', ['run', 'bundle-bridge', '--silent']);
    await pruneOrphans();
    await writeFile(stampFile, sources);
  });
}

try {
  await build();
} catch (error) {
  if (!(error instanceof BuildFailed)) throw error;
  console.error(error.message);
  process.exitCode = error.code;
}
