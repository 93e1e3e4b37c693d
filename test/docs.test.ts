/** Documents that users copy from must match the code: the example .mcp.json and the LiteLLM config. */
import { readFile } from 'node:fs/promises';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadModels } from '../src/llm/models.js';

describe('examples and docs match the code', () => {
  it('the README shows exactly examples/mcp.json, whose entries point at the MCP endpoint and the bridge command', async () => {
    const example = await readFile('examples/mcp.json', 'utf8');
    const readme = await readFile('README.md', 'utf8');
    const block = /## Connect Claude Code[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(JSON.parse(block ?? 'null')).toEqual(JSON.parse(example));
    const { mcpServers } = JSON.parse(example) as { mcpServers: Record<string, { type: string; url?: string; args?: string[] }> };
    expect(mcpServers.supervisor).toMatchObject({ type: 'http', url: 'http://127.0.0.1:3200/mcp' });
    expect(mcpServers['supervisor-bridge']).toMatchObject({ type: 'stdio', args: ['${SUPERVISOR_HOME}/dist/src/cli.js', 'bridge'] });
    const manifest = JSON.parse(await readFile('package.json', 'utf8')) as { bin: Record<string, string> };
    expect(manifest.bin.supervisor).toBe('dist/src/cli.js');
  });

  it('docs/litellm.md serves every model that config/models.yaml names', async () => {
    const doc = await readFile('docs/litellm.md', 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const config = jsYaml.load(yaml) as { model_list: Array<{ model_name: string }> };
    const served = config.model_list.map((m) => m.model_name).sort();
    const models = await loadModels('config/models.yaml');
    expect(served).toEqual(models.allModels().sort());
  });
});
