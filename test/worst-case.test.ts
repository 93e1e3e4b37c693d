/**
 * The longest a consulting call may wait on its models (src/llm/worst-case.ts), which Claude Code's
 * MCP_TOOL_TIMEOUT must exceed (docs/models.md): each model of the chain timing out in turn, twice
 * for trainer's reader and writer, and a panel's merge after its answers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModels } from '../src/llm/models.js';
import { chainWorstCaseMs, consultWorstCases, longestConsultation, panelWorstCaseMs } from '../src/llm/worst-case.js';

async function modelsFrom(yaml: string) {
  const dir = await mkdtemp(join(tmpdir(), 'worst-case-'));
  try {
    await writeFile(join(dir, 'models.yaml'), yaml);
    return await loadModels(join(dir, 'models.yaml'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the worst case of a consulting call', () => {
  it('is every model of the chain timing out in turn; a panel adds its merge along the models that answered', () => {
    expect(chainWorstCaseMs(3, 180_000)).toBe(540_000);
    expect(panelWorstCaseMs(5, 180_000)).toBe(1_080_000);
  });

  it("follows models.yaml's chains: a tool's own, else its family's, else default_chain, and trainer asks its chain twice", async () => {
    const models = await modelsFrom(`
default_chain: [a, b, c]
skills:
  tdd: { chain: [a] }
  tdd_green: { chain: [a, b] }
  trainer: { chain: [a, b] }
`);
    const byTool = Object.fromEntries(consultWorstCases(models, 100_000).map((w) => [w.tool, w]));

    expect(byTool.tdd_red).toMatchObject({ chain: ['a'], ms: 100_000 });
    expect(byTool.tdd_green).toMatchObject({ chain: ['a', 'b'], ms: 200_000 });
    expect(byTool.review).toMatchObject({ chain: ['a', 'b', 'c'], ms: 300_000, panelMs: 600_000 });
    expect(byTool.trainer).toMatchObject({ ms: 400_000 });
    expect(byTool.spec?.panelMs).toBeUndefined();
    expect(longestConsultation(models, 100_000)).toMatchObject({ tool: 'trainer', ms: 400_000 });
  });
});
