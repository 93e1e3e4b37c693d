/**
 * What `npm pack` puts in the tarball that `npm install -g supervisor-mcp` installs as the `supervisor`
 * command: the built code (the bridge bundle included) and the default config, not the sources, the
 * tests or source maps of sources it does not hold. test/package-install.test.ts installs and runs it.
 */
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
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
    expect(files.filter((f) => /^(src|test|bench|common|ingestion|deploy|scripts)\/|^dist\/(bench|scripts|test)\/|\.ts$|\.map$|(^|\/)\.env|\.tgz$/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md']));
    expect(files.filter((f) => f.startsWith('eval/cases/')).length, 'the eval cases `supervisor eval` runs').toBeGreaterThan(0);
    const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { name: string; private?: boolean; bin: Record<string, string> };
    expect(manifest).toMatchObject({ name: 'supervisor-mcp', bin: { supervisor: 'dist/src/cli.js', 'supervisor-mcp': 'dist/src/cli.js' } });
    expect(manifest.private).toBeUndefined();
    expect(files).toContain(manifest.bin.supervisor);
  });

  it('the packed code imports only node built-ins and the dependencies an install brings, no dev dependency', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO });
    const [packed] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Map<string, string>();
    for (const file of packed!.files.map((f) => f.path).filter((f) => f.startsWith('dist/') && f.endsWith('.js'))) {
      const code = await readFile(join(REPO, file), 'utf8');
      // Not the `require("…")` inside code that ajv generates as text (a quote or backquote before it).
      for (const [, specifier] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|(?<![`'"])\b(?:__)?require\s*\(\s*|^import\s+)['"]([^'"./][^'"]*)['"]/gm)) {
        imported.set(/^(@[^/]+\/[^/]+|[^/]+)/.exec(specifier!)![1]!, file);
      }
    }
    const outside = [...imported].filter(([name]) => !name.startsWith('node:') && !builtinModules.includes(name) && !(name in manifest.dependencies));
    expect(outside.map(([name, file]) => `${name} (${file})`)).toEqual([]);
    // The bridge bundle carries its dependencies' code: it imports nothing but node's own modules.
    expect([...imported].filter(([name, file]) => file === 'dist/src/bridge/main.js' && !name.startsWith('node:') && !builtinModules.includes(name))).toEqual([]);
  });

  it('the command starts with a shebang, so npm links it as an executable', async () => {
    const cli = await readFile(join(REPO, 'dist', 'src', 'cli.js'), 'utf8');
    expect(cli.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
