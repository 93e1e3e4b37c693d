/**
 * What `npm pack` puts in the tarball that `npm install -g` installs as the `supervisor` command: the
 * built code (the bridge bundle included) and the default config, not the sources or the tests.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/cli.js';

const run = promisify(execFile);

describe('the packed package', () => {
  it('holds the built command, the bridge bundle and the default config; no sources, tests or benches', async () => {
    // --ignore-scripts: the test run has built dist/ already (test/support/build.ts).
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO });
    const [packed] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    for (const needed of ['package.json', 'dist/src/cli.js', 'dist/src/bridge/main.js', 'dist/src/serve.js', 'dist/ingestion/index.js', 'config/models.yaml', 'config/supervisor/protocols.md']) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => /^(src|test|bench|common|ingestion|deploy)\/|^dist\/bench\/|\.ts$/.test(f))).toEqual([]);
    const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(files).toContain(manifest.bin.supervisor);
  });

  it('the command starts with a shebang, so npm links it as an executable', async () => {
    const cli = await readFile(join(REPO, 'dist', 'src', 'cli.js'), 'utf8');
    expect(cli.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
