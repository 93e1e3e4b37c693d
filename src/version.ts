import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './config.js';

/** The package's version, as printed at start and announced to MCP clients. */
export const VERSION = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
