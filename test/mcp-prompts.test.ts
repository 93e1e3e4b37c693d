/**
 * The workflows as MCP prompts, through the real MCP SDK client: listed with their arguments,
 * expanded into a message naming the tools to call and their arguments, arguments completed from
 * what the server knows (SUPERVISOR_PROJECT_ROOTS, the session logs), bad arguments refused.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { PROMPT_ARGUMENT_CHARS } from '../src/mcp/prompts.js';
import { useTestSupervisor } from './support/supervisor.js';
import { failure } from './support/json-rpc.js';

const ROOTS = ['/srv/code/shop', '/srv/code/shipping', '/home/me/notes'];

let client: Client;
useTestSupervisor((_sup, connected) => (client = connected), { SUPERVISOR_PROJECT_ROOTS: ROOTS.join(':') });

const text = async (name: string, args: Record<string, string>) => {
  const { messages } = await client.getPrompt({ name, arguments: args });
  expect(messages).toHaveLength(1);
  expect(messages[0]?.role).toBe('user');
  const content = messages[0]?.content;
  return content?.type === 'text' ? content.text : '';
};

const completePrompt = async (prompt: string, argument: string, value: string) =>
  (await client.complete({ ref: { type: 'ref/prompt', name: prompt }, argument: { name: argument, value } })).completion.values;

describe('prompts/list', () => {
  it('offers the three workflows with their arguments, and says so in its capabilities', async () => {
    expect(client.getServerCapabilities()).toMatchObject({ prompts: {}, resources: { listChanged: true }, completions: {} });
    expect(client.getServerCapabilities()?.resources?.subscribe).toBeUndefined();
    const { prompts } = await client.listPrompts();
    expect(prompts.map(({ name, arguments: args }) => ({ name, args: args?.map((a) => `${a.name}${a.required ? '' : '?'}`) }))).toEqual([
      { name: 'tdd_cycle', args: ['spec', 'project_root?'] },
      { name: 'review_changes', args: ['project_root?', 'focus?'] },
      { name: 'end_session', args: ['session_id?'] },
    ]);
    // Lean: every description one short line.
    for (const prompt of prompts) expect(prompt.description?.length ?? 0).toBeLessThan(100);
  });
});

describe('prompts/get', () => {
  it('tdd_cycle: red, green, refactor, each with its arguments, on the spec given', async () => {
    const said = await text('tdd_cycle', { spec: 'Cart totals are integer cents; a 10% coupon rounds down.', project_root: '/srv/code/shop' });
    expect(said).toContain('<spec>\nCart totals are integer cents; a 10% coupon rounds down.\n</spec>');
    expect(said).toContain('`tdd_red` with {"project_root": "/srv/code/shop", "spec": <the spec above>');
    expect(said).toContain('`tdd_green` with {"project_root": "/srv/code/shop", "test_path":');
    expect(said).toContain('`tdd_refactor` with {"project_root": "/srv/code/shop", "test_path": <same>, "impl_path":');
    expect(said.indexOf('tdd_red')).toBeLessThan(said.indexOf('tdd_green'));
    expect(said.indexOf('tdd_green')).toBeLessThan(said.indexOf('tdd_refactor'));
  });

  it('tdd_cycle without a project_root tells the agent to use its own', async () => {
    expect(await text('tdd_cycle', { spec: 'x' })).toContain('"project_root": "<the absolute path of this project\'s root>"');
  });

  it('review_changes: the diff, then review with files and the diff attached, and no commit', async () => {
    const said = await text('review_changes', { project_root: '/srv/code/shop', focus: 'SQL injection' });
    expect(said).toContain('git diff HEAD');
    expect(said).toContain('`review` with {"project_root": "/srv/code/shop", "files": [');
    expect(said).toContain('{"path": "changes.diff", "content": <the output of git diff HEAD>}');
    expect(said).toContain('"context": "Changes about to be committed. Focus: SQL injection"');
    expect(said).toContain('Do not commit');
  });

  it('end_session: retrospective and trainer with save: true on the session named, or on this one', async () => {
    const said = await text('end_session', { session_id: 'ticket-412' });
    expect(said).toContain('`retrospective` with {"session_id": "ticket-412", "save": true}');
    expect(said).toContain('`trainer` with {"session_id": "ticket-412", "save": true}');
    expect(await text('end_session', {})).toContain('`trainer` with {"session_id": <the session_id this session\'s consulting answers gave>, "save": true}');
  });

  it('refuses missing, malformed and oversized arguments, naming them', async () => {
    expect((await failure(client.getPrompt({ name: 'tdd_cycle', arguments: {} }))).message).toContain('spec');
    expect((await failure(client.getPrompt({ name: 'end_session', arguments: { session_id: '../x' } }))).message).toContain('session_id: 1–128 letters');
    expect((await failure(client.getPrompt({ name: 'review_changes', arguments: { project_root: 'relative/path' } }))).message).toContain('project_root must be an absolute path');
    const huge = await failure(client.getPrompt({ name: 'tdd_cycle', arguments: { spec: 'x'.repeat(PROMPT_ARGUMENT_CHARS + 1) } }));
    expect(huge.code).toBe(-32602);
    expect(huge.message).toContain(`spec: at most ${PROMPT_ARGUMENT_CHARS} characters`);
  });

  it("says each refusal once: the client puts 'MCP error -32602: ' before it, and the server does not", async () => {
    const malformed = await failure(client.getPrompt({ name: 'end_session', arguments: { session_id: '../x' } }));
    expect(malformed.message).toBe('MCP error -32602: Invalid arguments for prompt end_session: session_id: 1–128 letters, digits, - or _');
    expect((await failure(client.getPrompt({ name: 'no_such_prompt' }))).message).toBe('MCP error -32602: Prompt no_such_prompt not found: prompts/list names them');
  });
});

describe('completion of prompt arguments', () => {
  it('completes project_root from SUPERVISOR_PROJECT_ROOTS', async () => {
    expect(await completePrompt('tdd_cycle', 'project_root', '/srv/code/sh')).toEqual(['/srv/code/shop', '/srv/code/shipping']);
    expect(await completePrompt('review_changes', 'project_root', '')).toEqual(ROOTS);
    expect(await completePrompt('review_changes', 'project_root', '/etc')).toEqual([]);
  });

  it('completes session_id from the session logs, newest first', async () => {
    await client.callTool({ name: 'tdd_red', arguments: { project_root: '/srv/code/shop', spec: 'x', session_id: 'ticket-411' } });
    await client.callTool({ name: 'tdd_red', arguments: { project_root: '/srv/code/shop', spec: 'x', session_id: 'ticket-412' } });
    expect(await completePrompt('end_session', 'session_id', 'ticket-')).toEqual(['ticket-412', 'ticket-411']);
    expect(await completePrompt('end_session', 'session_id', '../')).toEqual([]);
  });
});
