/**
 * The shipped config/: what an operator gets out of the box loads, is coherent, and keeps the rules
 * small local models need. Other tests run on test/fixtures/config, so editing config/ breaks only
 * this file, test/golden-prompts.test.ts (the whole prompts, as text) and the docs check that
 * docs/litellm.md names the shipped models.
 */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { loadModels } from '../src/llm/models.js';
import { REPO, startCli } from './support/cli.js';
import { FIXTURE_CONFIG_DIR } from './support/fixture-config.js';
import { startTestFake } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

const SHIPPED_DISCIPLINES = join(REPO, 'config', 'supervisor');
const SHIPPED_MODELS = join(REPO, 'config', 'models.yaml');
const markdown = async (dir: string) => (await readdir(dir)).filter((name) => name.endsWith('.md')).sort();

describe('the shipped config/', () => {
  it('models.yaml is valid and gives every skill family a chain', async () => {
    const models = await loadModels(SHIPPED_MODELS);
    for (const family of ['review', 'debug', 'spec', 'tdd', 'retrospective', 'trainer']) expect(models.chainFor(family).length, family).toBeGreaterThan(0);
    for (const model of models.allModels()) expect(models.contextWindow(model), model).toBeGreaterThanOrEqual(1024);
  });

  it("models.yaml gives every family its own chain, none fitted to default_chain's 8k model", async () => {
    const models = await loadModels(SHIPPED_MODELS);
    for (const family of ['tdd', 'review', 'debug', 'spec', 'retrospective', 'trainer']) {
      const smallest = Math.min(...models.chainFor(family).map((model) => models.contextWindow(model)));
      expect(smallest, family).toBeGreaterThan(8192);
    }
  });

  it('has a discipline for every one the tests have, and no other', async () => {
    expect(await markdown(SHIPPED_DISCIPLINES)).toEqual(await markdown(FIXTURE_CONFIG_DIR));
  });

  it('keeps the rules small local models need, worded so they cannot be missed', async () => {
    const text = async (name: string) => readFile(join(SHIPPED_DISCIPLINES, `${name}.md`), 'utf8');
    // The JSON ban comes first, in bold capitals: small models ignore soft wording further down.
    const protocols = (await text('protocols')).split('\n');
    expect(protocols.find((line, i) => i > 0 && line.trim() !== '')).toMatch(/^\*\*DO NOT OUTPUT JSON\. DO NOT USE JSON CODE BLOCKS\./);
    const rules: Record<string, Array<string | RegExp>> = {
      tdd: ['**exactly one** test', '**fail by assertion, not by a compile or import error**', '**Test file**', '**Full content**', 'YAGNI', '**no extra parameters**', '**no future-proofing**', '**no clever abstractions**'],
      review: ['**Never rubber-stamp.**', /- \*\*CRITICAL\*\*: \S/, /- \*\*WARNING\*\*: \S/, /- \*\*SUGGESTION\*\*: \S/, '`Findings: N critical, N warnings, N suggestions.`'],
      spec: ['**When they are too vague, answer with the questions INSTEAD OF a spec.**', '## Questions'],
      retrospective: ['## NOT worth keeping', '**Routine cycles**', '**Single-attempt passes**', '**Mechanical edits**', '`N learnings`'],
      'trainer-reader': [/- \*\*5\*\*: \S/, /- \*\*4\*\*: \S/, /- \*\*3\*\*: \S/, /- \*\*2\*\*: \S/, /- \*\*1\*\*: \S/, '**scoring 3 or more**', '`N candidates (M >= 3)`'],
      'trainer-writer': [/^# <Topic/m, /^## Lesson$/m, /^## When it applies$/m, /^## Example$/m, '`N entries ready for brain_write`'],
    };
    for (const [name, wanted] of Object.entries(rules)) {
      const discipline = await text(name);
      for (const rule of wanted) {
        if (typeof rule === 'string') expect(discipline, `${name}.md`).toContain(rule);
        else expect(discipline, `${name}.md`).toMatch(rule);
      }
    }
  });

  it('`supervisor serve` starts on it unchanged and consults the first model of its chain with its disciplines', async () => {
    const models = await loadModels(SHIPPED_MODELS);
    const llm = await startTestFake();
    const brainDir = await mkdtemp(join(tmpdir(), 'supervisor-shipped-'));
    try {
      const server = await startCli(['serve'], { SUPERVISOR_PORT: '0', INGEST_PORT: '0', SUPERVISOR_BRAIN_DIR: brainDir, LITELLM_BASE_URL: llm.url }, /MCP server listening/, {
        shippedConfig: true,
      });
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+\/mcp)"/.exec(server.stdout())?.[1] ?? '';
      const client = new Client({ name: 'shipped-config-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const result = await client.callTool({ name: 'review', arguments: { project_root: '/p', files: ['a.ts'], attachments: [{ path: 'a.ts', content: 'x' }] } });
      await client.close();
      expect(result.isError).toBeFalsy();
      await waitFor(() => llm.requests.length === 1, 'the call reaching LiteLLM');
      const request = llm.requests[0]!;
      expect(request.model).toBe(models.chainFor('review')[0]);
      const system = request.messages[0]?.content ?? '';
      for (const name of ['protocols', 'review']) {
        const firstLine = (await readFile(join(SHIPPED_DISCIPLINES, `${name}.md`), 'utf8')).split('\n')[0] ?? '';
        expect(system, name).toContain(firstLine);
      }
      expect((await server.stop()).code).toBe(0);
    } finally {
      await llm.close();
      await rm(brainDir, { recursive: true, force: true });
    }
  });
});
