/**
 * TDD phase awareness: a green with no failing test before it, or a refactor with a test still
 * failing, still answers, and says so at once (a notice on the call's stream) and in the result
 * (its closing line and `phase_warning`). The real SDK client against a real server.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
beforeAll(async () => {
  sup = await startTestSupervisor();
});
afterAll(() => sup.stop());

const ROOT = '/work/shop';
const CALLS = {
  tdd_red: { project_root: ROOT, spec: 'totals are rounded to cents' },
  tdd_green: { project_root: ROOT, test_path: 'test/total.test.ts' },
  tdd_refactor: { project_root: ROOT, test_path: 'test/total.test.ts', impl_path: 'src/total.ts' },
} as const;

/** A fresh MCP session, its notices collected. */
async function session() {
  const client = new Client({ name: 'tdd-cycle', version: '1.0.0' });
  const notices: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void notices.push(String(n.params.data)));
  await client.connect(new StreamableHTTPClientTransport(new URL(sup.mcpUrl)));
  const call = async (name: keyof typeof CALLS) => {
    notices.length = 0;
    const result = await client.callTool({ name, arguments: CALLS[name] });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { phase_warning?: string };
    const text = (result.content as Array<{ text: string }>)[0]!.text;
    return { warning: structured.phase_warning, text, notices: [...notices] };
  };
  return { client, call };
}

describe('a call out of its TDD order', () => {
  it('a green with no red before it answers, and warns in a notice, the closing line and phase_warning', async () => {
    const { client, call } = await session();
    const green = await call('tdd_green');
    expect(green.warning).toBe('no tdd_red in this session: make sure a test fails before writing code for it');
    expect(green.notices).toContain(green.warning);
    expect(green.text).toMatch(/^answer from /);
    // First in the closing line, which goes on with the files the server could not read here.
    expect(green.text).toContain(`**supervisor:** ${green.warning}; files skipped`);
    await client.close();
  });

  it('red, green, refactor in order: no warning', async () => {
    const { client, call } = await session();
    for (const step of ['tdd_red', 'tdd_green', 'tdd_refactor', 'tdd_refactor'] as const) {
      const result = await call(step);
      expect(result.warning, step).toBeUndefined();
      expect(result.notices, step).toEqual([]);
      expect(result.text, step).not.toMatch(/tdd_red|tdd_green/);
    }
    await client.close();
  });

  it('a refactor before any green, or with the last red not yet green, warns', async () => {
    const { client, call } = await session();
    expect((await call('tdd_refactor')).warning).toBe('no tdd_green in this session: refactor only once every test passes');
    await call('tdd_red');
    await call('tdd_green');
    await call('tdd_red');
    expect((await call('tdd_refactor')).warning).toBe('the last tdd_red of this session has no tdd_green after it: refactor only once every test passes');
    await client.close();
  });

  it('a green after a refactor needs a new red', async () => {
    const { client, call } = await session();
    await call('tdd_red');
    await call('tdd_green');
    await call('tdd_refactor');
    expect((await call('tdd_green')).warning).toBe('no tdd_red since the last tdd_refactor in this session: make sure a test fails before writing code for it');
    await call('tdd_red');
    expect((await call('tdd_green')).warning).toBeUndefined();
    await client.close();
  });

  it('a red that failed does not count as a failing test written', async () => {
    const { client, call } = await session();
    sup.llm.behave('test/primary', { kind: 'status', status: 500 });
    sup.llm.behave('test/fallback', { kind: 'status', status: 500 });
    sup.llm.behave('test/small', { kind: 'status', status: 500 });
    const red = await client.callTool({ name: 'tdd_red', arguments: CALLS.tdd_red });
    sup.llm.reset();
    expect(red.isError).toBe(true);
    expect((await call('tdd_green')).warning).toBe('no tdd_red in this session: make sure a test fails before writing code for it');
    await client.close();
  });
});
