/**
 * docs/models.md against the code: its models.yaml chains load as models.yaml does and name only real
 * skills, its LiteLLM configs are YAML with a model_list, and its worked timeout example is what
 * src/llm/worst-case.ts computes for the shipped models.yaml.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadModels } from '../src/llm/models.js';
import { consultWorstCases, longestConsultation } from '../src/llm/worst-case.js';

const SKILLS = ['tdd', 'tdd_red', 'tdd_green', 'tdd_refactor', 'review', 'debug', 'spec', 'retrospective', 'trainer'];
const DEFAULT_TIMEOUT_MS = 180_000;

async function yamlBlocks(): Promise<string[]> {
  const doc = await readFile('docs/models.md', 'utf8');
  return [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe('docs/models.md matches the code', () => {
  it('every models.yaml chain it shows loads and names only skills that exist', async () => {
    const chains = (await yamlBlocks()).filter((block) => block.includes('default_chain:'));
    expect(chains.length).toBeGreaterThanOrEqual(2);
    const dir = await mkdtemp(join(tmpdir(), 'docs-models-'));
    try {
      for (const [i, block] of chains.entries()) {
        const file = join(dir, `models-${i}.yaml`);
        await writeFile(file, block);
        const models = await loadModels(file);
        expect(models.unknownSkills(SKILLS)).toEqual([]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every LiteLLM config it shows is YAML with a model_list', async () => {
    const configs = (await yamlBlocks()).filter((block) => block.includes('model_list:'));
    expect(configs.length).toBeGreaterThanOrEqual(2);
    for (const block of configs) {
      const config = jsYaml.load(block) as { model_list: { model_name: string; litellm_params: { model: string } }[] };
      expect(config.model_list[0]).toMatchObject({ model_name: expect.any(String), litellm_params: { model: expect.any(String) } });
    }
  });

  it("its worked timeout example is the shipped models.yaml's worst case at the default 180 s a model", async () => {
    const doc = await readFile('docs/models.md', 'utf8');
    const models = await loadModels('config/models.yaml');
    const byTool = Object.fromEntries(consultWorstCases(models, DEFAULT_TIMEOUT_MS).map((w) => [w.tool, w]));

    expect(longestConsultation(models, DEFAULT_TIMEOUT_MS)).toMatchObject({ tool: 'trainer', ms: 12 * 60_000 });
    expect(byTool.review?.ms).toBe(6 * 60_000);
    expect(doc).toContain('| `trainer` | 2 × 2 × 180 s = 12 min |');
    expect(doc).toContain('MCP_TOOL_TIMEOUT=780000');
  });
});
