/**
 * Team mode with the wrong ingestion token: a real brain service started with its token, and an MCP
 * server pointed at it (INGEST_BASE_URL) with another token, or none. The brain's public GET /ready
 * answers whatever the token, so the start-up line and `status` once called such a brain "reachable,
 * 0 notes" while every search and write was refused. They now make one authenticated request and say
 * the token is refused, and what to set.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startService, type TestService } from './support/service.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

const BRAIN_TOKEN = 'the-brain-services-token-0123456789abcdef';
const WARN = 40;

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

type CallResult = Awaited<ReturnType<Client['callTool']>>;
const textOf = (result: CallResult) => (result.content as Array<{ text: string }>)[0]?.text ?? '';

let service: TestService;
let sup: TestSupervisor | undefined;
beforeEach(async () => {
  service = await startService({ token: BRAIN_TOKEN });
  // One note, so that a right token's count (1) differs from what a public /ready alone gave a wrong one.
  const written = await service.post('/write', { content: 'Retry with backoff.', filename: 'api/retry' }, { authorization: `Bearer ${BRAIN_TOKEN}` });
  expect(written.status).toBe(201);
});
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
  await service.stop();
});

/** An MCP server on that brain with `token` as its INGEST_TOKEN (none when undefined), and its start-up line. */
async function mcpServerWith(token: string | undefined): Promise<{ client: Client; startup: LogLine }> {
  sup = await startTestSupervisor({ INGEST_BASE_URL: service.url, ...(token === undefined ? {} : { INGEST_TOKEN: token }) });
  const started = sup;
  const startupLine = () =>
    started
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine)
      .find((line) => / ready: MCP /.test(line.msg));
  await waitFor(() => startupLine() !== undefined, 'the start-up line');
  return { client: await started.connect(), startup: startupLine()! };
}

describe('an MCP server whose INGEST_TOKEN the brain service refuses', () => {
  it('says so in the start-up line, at warn, with what to set', async () => {
    const { startup } = await mcpServerWith('not-the-brain-services-token-0123456789');
    expect(startup.level).toBe(WARN);
    expect(startup.msg).toContain(`brain ingestion service at ${service.url}, refuses our token (401): set INGEST_TOKEN to the brain service's token;`);
    expect(startup.msg).not.toMatch(/\d+ notes/);
    expect(startup).toMatchObject({ brain_notes: null, brain_token_refused: true });
  });

  it('says so in status, in its text and its structured content', async () => {
    const { client } = await mcpServerWith('not-the-brain-services-token-0123456789');
    const result = await client.callTool({ name: 'status', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain(
      `Brain (ingestion service at ${service.url}): refuses our token (401): set INGEST_TOKEN to the brain service's token. Until then consulting tools answer without knowledge, and brain tools fail.`,
    );
    expect(textOf(result)).not.toMatch(/reachable, \d+ notes/);
    expect((result.structuredContent as { brain: unknown }).brain).toEqual({
      where: `ingestion service at ${service.url}`,
      reachable: false,
      token_refused: true,
      error: "refuses our token (401): set INGEST_TOKEN to the brain service's token",
    });
  });

  it('says a missing INGEST_TOKEN is missing', async () => {
    const { client, startup } = await mcpServerWith(undefined);
    expect(startup.msg).toContain("asks for a token (401) and INGEST_TOKEN is not set: set INGEST_TOKEN to the brain service's token");
    const result = await client.callTool({ name: 'status', arguments: {} });
    expect(textOf(result)).toContain(`Brain (ingestion service at ${service.url}): asks for a token (401) and INGEST_TOKEN is not set`);
  });
});

describe('an MCP server with the brain service token', () => {
  it('counts the notes, as before', async () => {
    const { client, startup } = await mcpServerWith(BRAIN_TOKEN);
    expect(startup.msg).toContain(`brain ingestion service at ${service.url}, 1 notes;`);
    const result = await client.callTool({ name: 'status', arguments: {} });
    expect(textOf(result)).toContain(`Brain (ingestion service at ${service.url}): reachable, 1 notes.`);
  });
});
