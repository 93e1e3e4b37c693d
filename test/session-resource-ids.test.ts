/**
 * A session resource URI whose id is no session id is refused as invalid params (-32602), naming the
 * rule, however it is spelt: the URI is read as sent, never parsed as a URL (which would drop tabs,
 * line breaks and leading spaces, and fold `..`). Such spellings once reached the session log, whose
 * refusal answered internal error (-32603); spellings that are no session URI at all are not found.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { failure } from './support/json-rpc.js';
import { useTestSupervisor } from './support/supervisor.js';

let client: Client;
useTestSupervisor((_started, connected) => (client = connected));

describe('resources/read of a session id that is none', () => {
  it.each([
    'supervisor://sessions/..%2F..',
    'supervisor://sessions/%2e%2e',
    'supervisor://sessions/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'supervisor://sessions/a%2Fb',
    'supervisor://sessions/..',
    `supervisor://sessions/${'x'.repeat(129)}`,
    'SUPERVISOR://sessions/..%2F..',
    'Supervisor://sessions/a%2Fb',
    `SUPERVISOR://sessions/${'x'.repeat(129)}`,
    'SUPERVISOR://sessions/a%20b',
  ])('refuses %j as invalid params, naming the rule', async (uri) => {
    const error = await failure(client.readResource({ uri }));
    expect(error.code).toBe(-32602);
    expect(error.message).toContain('a session id is 1–128 letters, digits, - or _');
    expect(error.message.length).toBeLessThan(600);
  });

  it.each([' supervisor://sessions/..%2F..', 'supervisor:/\t/sessions/..%2F..', 'supervisor://sess\nions/a%2F..'])(
    'answers %j with resource not found (-32602), naming the URIs this server has',
    async (uri) => {
      const error = await failure(client.readResource({ uri }));
      expect(error.code).toBe(-32602);
      expect(error.message).toContain("this server's resources are brain://knowledge/… and supervisor://sessions/…");
    },
  );

  it('still reads a session spelt with an upper-case scheme, and answers not found for one with no log', async () => {
    expect((await failure(client.readResource({ uri: 'SUPERVISOR://sessions/never-used' }))).code).toBe(-32602);
  });
});
