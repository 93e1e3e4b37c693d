/**
 * Misspelt settings: every name the programs read is listed (scanned from the sources, so a new
 * setting cannot be forgotten), and any other name with our prefixes is named with the real one it
 * most likely meant — never with its value.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closestSetting, KNOWN_SETTINGS, SETTING_PREFIXES, unknownSettingLine, unknownSettings } from '../common/known-settings.js';
import { REPO } from './support/cli.js';

/** The TypeScript sources of the three programs, but the list itself (its comments show misspellings on purpose). */
async function sources(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const folder of ['src', 'common', 'ingestion']) {
    for (const entry of await readdir(join(REPO, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const path = join(entry.parentPath, entry.name);
      if (path !== join(REPO, 'common', 'known-settings.ts')) files.set(path, await readFile(path, 'utf8'));
    }
  }
  return files;
}

const prefixes = SETTING_PREFIXES.map((prefix) => prefix.replace(/_$/, '')).join('|');
/** A name as code reads it: quoted ('NAME', "NAME", `NAME`) or as a property of an environment (env.NAME, env['NAME']). */
const READ = new RegExp(String.raw`(?:['"\x60]|env\.|env\[['"])((?:${prefixes})_[A-Z0-9_]*[A-Z0-9])\b`, 'g');

describe('the list of real settings', () => {
  it('holds every setting the sources read', async () => {
    const missing = new Set<string>();
    for (const [path, text] of await sources()) {
      for (const [, name] of text.matchAll(READ)) if (name && !KNOWN_SETTINGS.includes(name)) missing.add(`${name} (${path.slice(REPO.length + 1)})`);
    }
    expect([...missing], 'add these to KNOWN_SETTINGS in common/known-settings.ts').toEqual([]);
  });

  it('holds no name that no source reads', async () => {
    const read = new Set<string>();
    for (const text of (await sources()).values()) for (const [, name] of text.matchAll(READ)) if (name) read.add(name);
    expect(KNOWN_SETTINGS.filter((name) => !read.has(name))).toEqual([]);
  });
});

describe('a misspelt setting is named with the closest real one', () => {
  it.each([
    ['SUPERVISOR_TOKNE', 'SUPERVISOR_TOKEN'], // two letters swapped
    ['LITELLM_URL', 'LITELLM_BASE_URL'], // a word left out
    ['SUPERVISOR_ROOTS', 'SUPERVISOR_PROJECT_ROOTS'], // nearer SUPERVISOR_HOST by letters, but shares ROOTS
    ['INGEST_DIR', 'INGEST_BRAIN_DIR'], // nearer INGEST_PORT by letters
    ['LITELLM_KEY', 'LITELLM_API_KEY'],
    ['SUPERVISOR_MODEL_TIMEOUT', 'SUPERVISOR_MODEL_TIMEOUT_SECONDS'],
    ['BRIDGE_FILE_CAP', 'BRIDGE_FILE_CAP_KB'],
    ['supervisor_token', 'SUPERVISOR_TOKEN'], // names are case-sensitive: the lowercase one is not read
  ])('%s → %s', (typo, real) => {
    expect(closestSetting(typo)).toBe(real);
  });

  it('reports only names with our prefixes that are not real, never their values', () => {
    const env = {
      SUPERVISOR_TOKNE: 'secret-value-1234',
      LITELLM_URL: 'http://litellm:4000',
      SUPERVISOR_TOKEN: 'real',
      PATH: '/usr/bin',
      LOG_LEVEL: 'info',
      MCP_TOOL_TIMEOUT: '600000',
    };
    const unknown = unknownSettings(env);
    expect(unknown).toEqual([
      { name: 'LITELLM_URL', closest: 'LITELLM_BASE_URL' },
      { name: 'SUPERVISOR_TOKNE', closest: 'SUPERVISOR_TOKEN' },
    ]);
    const lines = unknown.map(unknownSettingLine);
    expect(lines[1]).toBe('SUPERVISOR_TOKNE is not a setting supervisor reads (ignored): did you mean SUPERVISOR_TOKEN?');
    expect(lines.join('\n')).not.toMatch(/secret-value|litellm:4000/);
  });

  it("leaves alone what Kubernetes and supervisord put into a process's environment", () => {
    const env = {
      SUPERVISOR_MCP_SERVICE_HOST: '10.43.0.7',
      SUPERVISOR_MCP_SERVICE_PORT_HTTP: '3200',
      SUPERVISOR_MCP_PORT: 'tcp://10.43.0.7:3200',
      SUPERVISOR_MCP_PORT_3200_TCP_ADDR: '10.43.0.7',
      LITELLM_PORT: 'tcp://10.43.0.9:4000',
      SUPERVISOR_ENABLED: '1',
      SUPERVISOR_PROCESS_NAME: 'mcp',
    };
    expect(unknownSettings(env)).toEqual([]);
    // A _PORT that is not a service link's address is a typo like any other.
    expect(unknownSettings({ LITELLM_PORT: '4000' })).toEqual([{ name: 'LITELLM_PORT', closest: expect.any(String) }]);
  });
});
