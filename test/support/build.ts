/**
 * Vitest global setup: the process tests run the built command line, dist/src/cli.js, the one a
 * user runs, so a test run builds it first with the build users run (scripts/build.mjs, the bridge
 * bundle included): once, and only when a source changed since the last build. That script takes a
 * lock, so two runs at once (or a run and an `npm start`) never start processes from half-written files.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const repo = resolve(import.meta.dirname, '..', '..');

export default async function setup(): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [resolve(repo, 'scripts', 'build.mjs')], { cwd: repo });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`the build (scripts/build.mjs) failed, so the process tests cannot run:\n${stdout}${stderr}`, { cause: error });
  }
}
