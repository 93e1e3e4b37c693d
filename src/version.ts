import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's version, as printed at start, by `supervisor --version` and announced to MCP
 * clients: from the nearest package.json above this file, which is the package's own (in the clone,
 * in dist/ and once installed). Found without config.ts, so `--version` loads no validation library.
 */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  }
  throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
}

export const VERSION = packageVersion();
