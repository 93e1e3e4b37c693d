/**
 * What the calling agent must know of how an answer was made is said in the result's text — the one
 * thing every MCP client shows — in one closing line, and only when something happened. And every
 * call leaves one line in the server log, failed chains at warn.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/ports.js';
import { MODELS } from './support/fixture-config.js';
import { startTestSupervisor, useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

type Result = Awaited<ReturnType<Client['callTool']>>;
const firstText = (result: Result) => (result.content as Array<{ text: string }>)[0]?.text ?? '';
const CLOSING = '**supervisor:**';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}
const logLines = (sup: TestSupervisor): LogLine[] =>
  sup
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

describe('the closing line of a consulting result', () => {
  let sup: TestSupervisor;
  let client: Client;
  useTestSupervisor((started, connected) => {
    sup = started;
    client = connected;
  });

  it('says a fallback answered, in the text and not in structuredContent.text; is absent when nothing happened', async () => {
    const plain = await client.callTool({ name: 'debug', arguments: { project_root: '/p', error: 'boom' } });
    expect(firstText(plain)).toBe(`answer from ${MODELS.primary}`);
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503, message: 'overloaded' });
    const result = await client.callTool({ name: 'debug', arguments: { project_root: '/p', error: 'boom' } });
    expect(firstText(result)).toBe(`answer from ${MODELS.fallback}\n\n${CLOSING} answered by ${MODELS.fallback} after ${MODELS.primary} failed (503).`);
    expect((result.structuredContent as { text: string }).text).toBe(`answer from ${MODELS.fallback}`);
  });

  it('says which files were skipped and why, once for files sharing a reason', async () => {
    const result = await client.callTool({ name: 'review', arguments: { project_root: '/p', files: ['a.ts', 'b.ts'] } });
    expect(firstText(result)).toMatch(/\*\*supervisor:\*\* files skipped: a\.ts, b\.ts \(not attached: the server may not read this project_root .*\)\.$/);
  });

  it('says what was shortened to fit the model', async () => {
    const result = await client.callTool({
      name: 'review',
      arguments: { project_root: '/p', files: ['big.ts'], model: MODELS.small, session_id: 'shortened', attachments: [{ path: 'big.ts', content: 'const x = 1;\n'.repeat(10_000) }] },
    });
    expect(firstText(result)).toMatch(/\*\*supervisor:\*\* files shortened to fit: big\.ts\.$/);
  });

  it('a failed chain is logged at warn, with every attempt; an answered call at info', async () => {
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503 });
    sup.llm.behave(MODELS.fallback, { kind: 'status', status: 500 });
    const result = await client.callTool({ name: 'debug', arguments: { project_root: '/p', error: 'boom', session_id: 'failing-chain' } });
    expect(result.isError).toBe(true);
    const line = logLines(sup).find((entry) => entry.session === 'failing-chain');
    expect(line).toMatchObject({
      level: 40,
      tool: 'debug',
      outcome: 'models_failed',
      model: null,
      attempts: [
        { model: MODELS.primary, status: 503 },
        { model: MODELS.fallback, status: 500 },
      ],
    });
    expect(line?.msg).toMatch(/^debug models_failed in \d+ ms, 2 attempts \(/);
  });

  it('a call refused for its arguments is logged too', async () => {
    await client.callTool({ name: 'debug', arguments: { project_root: 'relative', error: 'boom', session_id: 'refused-call' } });
    expect(logLines(sup).find((entry) => entry.session === 'refused-call')).toMatchObject({ level: 30, tool: 'debug', outcome: 'refused' });
  });
});

describe('the server log at info', () => {
  let sup: TestSupervisor;
  let client: Client;
  useTestSupervisor((started, connected) => {
    sup = started;
    client = connected;
  });

  it('has one line for a tool call, not one for each of its HTTP requests', async () => {
    await client.callTool({ name: 'debug', arguments: { project_root: '/p', error: 'boom', session_id: 'quiet' } });
    expect(logLines(sup).filter((entry) => entry.session === 'quiet')).toHaveLength(1);
    expect(logLines(sup).filter((entry) => entry.msg === 'incoming request' || entry.msg === 'request completed')).toEqual([]);
  });
});

describe('the closing line when the brain is down', () => {
  it('says the answer was made without knowledge', async () => {
    const sup = await startTestSupervisor({ INGEST_BASE_URL: `http://127.0.0.1:${await freePort()}` });
    try {
      const client = await sup.connect();
      const result = await client.callTool({ name: 'debug', arguments: { project_root: '/p', error: 'boom' } });
      expect(firstText(result)).toBe(`answer from ${MODELS.primary}\n\n${CLOSING} the brain was unavailable: answered without knowledge.`);
    } finally {
      await sup.stop();
    }
  });
});
