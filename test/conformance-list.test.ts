/**
 * docs/conformance.md's scenario table says what `npm run conformance` expects of each scenario; the run
 * itself reads scripts/conformance/scenarios.ts. They must agree. (The run, which downloads the suite
 * the first time, is CI's: `.ci/run` runs `npm run conformance`; this test downloads nothing.)
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { KNOWN_FAILURES, MUST_PASS, NOT_APPLICABLE } from '../scripts/conformance/scenarios.js';

async function documented(): Promise<Record<string, string[]>> {
  const doc = await readFile('docs/conformance.md', 'utf8');
  const byKind: Record<string, string[]> = {};
  for (const [, scenario, kind] of doc.matchAll(/^\| `([a-z0-9-]+)` \| (must pass|known failure|not applicable) \|/gm)) {
    (byKind[kind as string] ??= []).push(scenario as string);
  }
  return byKind;
}

describe('docs/conformance.md', () => {
  it('lists every scenario as scripts/conformance/scenarios.ts places it', async () => {
    const byKind = await documented();
    expect(byKind['must pass']?.sort()).toEqual([...MUST_PASS].sort());
    expect(byKind['known failure']?.sort() ?? []).toEqual(Object.keys(KNOWN_FAILURES).sort());
    expect(byKind['not applicable']?.sort() ?? []).toEqual(Object.keys(NOT_APPLICABLE).sort());
  });

  it('names the pinned suite and Node versions', async () => {
    const doc = await readFile('docs/conformance.md', 'utf8');
    const pinned = JSON.parse(await readFile('scripts/conformance/pinned/package.json', 'utf8')) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    expect(doc).toContain(`the suite ${pinned.dependencies['@modelcontextprotocol/conformance']}`);
    for (const [name, version] of Object.entries(pinned.optionalDependencies)) {
      expect(doc).toContain(`\`${name}\``);
      expect(doc).toContain(`Node ${version}`);
    }
  });
});
