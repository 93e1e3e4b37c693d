/**
 * Issue 8, item 10: what is sent to LiteLLM always fits the model's context window — long text
 * arguments are shortened with a visible marker, a long session log keeps its newest entries — and
 * the result's `cut` says what was left out. The fake LiteLLM records every request it receives.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../src/dev/fake-litellm.js';
import { estimateTokens, type WhatWasCut } from '../src/consult/prompt.js';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let client: Client;
useTestSupervisor((started, connected) => ((sup = started), (client = connected)));

/** The smallest context window of the chain a skill family asks (what the prompt is fitted to). */
const windowOf = (family: string) => Math.min(...sup.deps.models.chainFor(family).map((m) => sup.deps.models.contextWindow(m)));
const tokensSent = (request: ChatRequest | undefined) => estimateTokens((request?.messages ?? []).map((m) => m.content).join(''));


describe('text arguments are fitted to the window', () => {
  it('a requirements text of 900,000 characters is shortened with a marker, and cut.fields names it', async () => {
    const requirements = `The start of the requirements. ${'The system shall do one more thing. '.repeat(25_000)}`.slice(0, 900_000);
    const result = await client.callTool({ name: 'spec', arguments: { project_root: '/p', requirements, context: 'short context' } });
    expect(result.isError).toBeFalsy();
    const sent = sup.llm.requests.at(-1);
    expect(tokensSent(sent)).toBeLessThanOrEqual(windowOf('spec'));
    const user = sent?.messages[1]?.content ?? '';
    expect(user).toContain('The start of the requirements.');
    expect(user).toMatch(/… \[cut: \d+ more characters did not fit the model's context\]/);
    expect(user).toContain('short context');
    expect((result.structuredContent as { cut: WhatWasCut }).cut).toMatchObject({ fields: ['requirements'], truncated: [], omitted: [] });
  });

  it('several long arguments and code share the window: the longest are shortened first, short ones stay whole', async () => {
    const error = `Error: boom\n${'    at frame (file.ts:1:1)\n'.repeat(20_000)}`;
    const context = `context ${'c'.repeat(400_000)}`;
    const code = `export function f() {}\n${'// filler line\n'.repeat(30_000)}`;
    const result = await client.callTool({
      name: 'debug',
      arguments: { project_root: '/p', error, context, attachments: [{ path: 'src/f.ts', content: code }, { path: 'src/small.ts', content: 'const small = 1;' }] },
    });
    const sent = sup.llm.requests.at(-1);
    expect(tokensSent(sent)).toBeLessThanOrEqual(windowOf('debug'));
    expect(sent?.messages[1]?.content).toContain('const small = 1;');
    expect((result.structuredContent as { cut: WhatWasCut }).cut).toMatchObject({ fields: ['error', 'context'], truncated: ['src/f.ts'], omitted: [] });
  });
});

describe('retrospective and trainer read a long session log from its end', () => {
  const ENTRIES = 50_000;
  beforeAll(async () => {
    const line = (i: number) =>
      JSON.stringify({
        session_id: 'long-one', timestamp: '2026-11-21T10:00:00Z', skill: 'debug', phase: 'debug', project_root: '/p', final_status: 'ok',
        model_used: 'any/model', duration_ms: 1000, message: `finding ${i} ${'y'.repeat(150)}`, attempts: [], usage: null,
      });
    const dir = sup.sessionFiles!.dir;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'long-one.jsonl'), `${Array.from({ length: ENTRIES }, (_, i) => line(i)).join('\n')}\n`); // ~12 MB
  });

  it('retrospective: the newest entries reach the model within its window; cut.session_entries counts the rest, as a lower bound past what is read', async () => {
    const result = await client.callTool({ name: 'retrospective', arguments: { session_id: 'long-one' } });
    expect(result.isError).toBeFalsy();
    const sent = sup.llm.requests.at(-1);
    expect(tokensSent(sent)).toBeLessThanOrEqual(windowOf('retrospective'));
    const user = sent?.messages[1]?.content ?? '';
    expect(user).toContain(`finding ${ENTRIES - 1} `);
    expect(user).not.toContain('finding 0 ');
    // ~12 MB: longer than the server counts (docs/mcp.md), so the count is a lower bound, said so
    const counted = Number(user.match(/\*\*Consultations:\*\* at least (\d+) /)?.[1]);
    expect(counted).toBeGreaterThan(10_000);
    expect(counted).toBeLessThan(ENTRIES);
    const shown = user.match(/^finding \d+ /gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(10);
    const cut = (result.structuredContent as { cut: WhatWasCut }).cut;
    expect(cut.session_entries).toBe(counted - shown);
    expect(cut.session_entries_at_least).toBe(true);
    expect(cut.fields).toEqual(['session_log']);
  });

  it('trainer: the reader gets the newest entries within the window too', async () => {
    const before = sup.llm.requests.length;
    const result = await client.callTool({ name: 'trainer', arguments: { session_id: 'long-one' } });
    expect(result.isError).toBeFalsy();
    const [reader, writer] = sup.llm.requests.slice(before);
    expect(tokensSent(reader)).toBeLessThanOrEqual(windowOf('trainer'));
    expect(tokensSent(writer)).toBeLessThanOrEqual(windowOf('trainer'));
    expect(reader?.messages[1]?.content).toContain(`finding ${ENTRIES - 1} `);
    expect((result.structuredContent as { cut: WhatWasCut }).cut).toMatchObject({ session_entries: expect.any(Number), session_entries_at_least: true });
  });
});
