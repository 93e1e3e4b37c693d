/**
 * What a calling model reads in tools/list and gets back for a call missing an argument: every tool
 * titled, every argument described, every missing required argument refused in the same words.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let client: Client;
beforeAll(async () => {
  sup = await startTestSupervisor();
  client = await sup.connect();
});
afterAll(async () => {
  await sup.stop();
});

type Schema = { properties?: Record<string, { description?: string }>; required?: string[] };

describe('tools/list', () => {
  it('titles every tool and describes every argument', async () => {
    const { tools } = await client.listTools();
    const untitled = tools.filter((t) => !t.title).map((t) => t.name);
    expect(untitled).toEqual([]);
    const undescribed = tools.flatMap((t) =>
      Object.entries((t.inputSchema as Schema).properties ?? {})
        .filter(([, property]) => !property.description)
        .map(([name]) => `${t.name}.${name}`),
    );
    expect(undescribed).toEqual([]);
  });
});

describe('a missing required argument', () => {
  it('is refused as "<argument> is required" by every tool', async () => {
    const { tools } = await client.listTools();
    const refusals: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const tool of tools) {
      const required = (tool.inputSchema as Schema).required ?? [];
      // Each required argument left out in turn, the others given as strings.
      for (const missing of required) {
        const args = Object.fromEntries(required.filter((name) => name !== missing).map((name) => [name, name === 'files' ? ['a.ts'] : '/work/shop']));
        const result = await client.callTool({ name: tool.name, arguments: args });
        const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
        refusals[`${tool.name} without ${missing}`] = result.isError ? text : 'no error';
        expected[`${tool.name} without ${missing}`] = `${missing} is required`;
      }
    }
    expect(Object.keys(refusals).length).toBeGreaterThan(10);
    expect(refusals).toEqual(expected);
  });
});

describe('a wrongly typed argument', () => {
  it('is refused naming the argument', async () => {
    const result = await client.callTool({ name: 'spec', arguments: { project_root: '/work/shop', requirements: 'r', overwrite: 'yes' } });
    expect(result.isError).toBe(true);
    expect((result.content as Array<{ text: string }>)[0]?.text).toBe('overwrite must be true or false');
  });

  it('is as committed in test/snapshots/tools-list.json: what every client reads changes only on purpose', async () => {
    const { tools } = await client.listTools();
    await expect(`${JSON.stringify(tools, null, 2)}\n`).toMatchFileSnapshot('./snapshots/tools-list.json');
  });
});
