/**
 * Resources and prompts as the MCP Inspector's command line shows them (the pinned devDependency,
 * run from node_modules/.bin, no network): what someone checking the server by hand would see.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

let sup: TestSupervisor;
useTestSupervisor((started) => (sup = started));

const INSPECTOR = resolve('node_modules/.bin/mcp-inspector-cli');
// The CLI reads its own package.json relative to the working directory (a quirk of 1.0.3).
const CWD = resolve('node_modules/@modelcontextprotocol/inspector-cli/build');

/** Runs the Inspector CLI against the server with `args`; its stdout parsed as JSON. */
async function inspector(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(INSPECTOR, ['--cli', sup.mcpUrl, '--transport', 'http', ...args], { cwd: CWD, timeout: 40_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const NOTE = '---\ntitle: Retry with backoff\ntype: pattern\n---\nRetry idempotent calls only, with jitter.\n';

describe('the Inspector CLI', () => {
  it('lists resources, reads a note and a session log', async () => {
    await mkdir(join(sup.brainDir, 'knowledge', 'api'), { recursive: true });
    await writeFile(join(sup.brainDir, 'knowledge', 'api', 'retry-with-backoff.md'), NOTE);
    await waitFor(async () => (await sup.deps.brain.count()) === 1, 'the note indexed');
    const client = await sup.connect();
    await client.callTool({ name: 'debug', arguments: { project_root: '/work/shop', error: 'TypeError in cart.ts', session_id: 'inspected' } });

    const listed = (await inspector('--method', 'resources/list')) as { resources: Array<{ uri: string; title?: string }> };
    expect(listed.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ uri: 'brain://knowledge/api/retry-with-backoff.md', title: 'Retry with backoff', mimeType: 'text/markdown' }),
        expect.objectContaining({ uri: 'supervisor://sessions/inspected', mimeType: 'text/markdown' }),
      ]),
    );

    const note = (await inspector('--method', 'resources/read', '--uri', 'brain://knowledge/api/retry-with-backoff.md')) as { contents: Array<{ text: string }> };
    expect(note.contents[0]?.text).toBe(NOTE);
    const session = (await inspector('--method', 'resources/read', '--uri', 'supervisor://sessions/inspected')) as { contents: Array<{ text: string }> };
    expect(session.contents[0]?.text).toContain('# Session inspected');
    expect(session.contents[0]?.text).toContain('debug (debug) ok');
  }, 120_000);

  it('lists the prompts and expands one with arguments', async () => {
    const listed = (await inspector('--method', 'prompts/list')) as { prompts: Array<{ name: string }> };
    expect(listed.prompts.map((p) => p.name)).toEqual(['tdd_cycle', 'review_changes', 'end_session']);
    const expanded = (await inspector('--method', 'prompts/get', '--prompt-name', 'end_session', '--prompt-args', 'session_id=inspected')) as {
      messages: Array<{ role: string; content: { text: string } }>;
    };
    expect(expanded.messages[0]?.role).toBe('user');
    expect(expanded.messages[0]?.content.text).toContain('`trainer` with {"session_id": "inspected", "save": true}');
  }, 120_000);
});
