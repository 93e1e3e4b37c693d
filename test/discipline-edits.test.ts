/**
 * A discipline file edited while the server runs is what the next calls send, without a restart:
 * the server keeps the texts in memory and looks at the files again at most once a second
 * (src/consult/disciplines.ts), so a burst of calls costs no file system work.
 */
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIXTURE_CONFIG_DIR } from './support/fixture-config.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

let sup: TestSupervisor;
let configDir: string;
beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'supervisor-disciplines-'));
  await cp(FIXTURE_CONFIG_DIR, configDir, { recursive: true });
  sup = await startTestSupervisor({ SUPERVISOR_CONFIG_DIR: configDir });
});
afterAll(async () => {
  await sup.stop();
  await rm(configDir, { recursive: true, force: true });
});

it('an edit of a discipline file reaches the calls made after it, within about a second, without a restart', async () => {
  const client = await sup.connect();
  const systemPrompt = async () => {
    const result = await client.callTool({ name: 'review', arguments: { project_root: '/work/shop', files: ['a.ts'] } });
    expect(result.isError).toBeFalsy();
    return sup.llm.requests.at(-1)?.messages[0]?.content ?? '';
  };
  expect(await systemPrompt()).not.toContain('Name the riskiest change first.');
  await appendFile(join(configDir, 'review.md'), '\nName the riskiest change first.\n');
  await waitFor(async () => (await systemPrompt()).includes('Name the riskiest change first.'), 'a call sending the edited discipline');
});
