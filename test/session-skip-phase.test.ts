/**
 * A consulting call's history leaves out its own phase, and lines that show their phase plainly are
 * passed over without being parsed (common/session-log/files.ts, `skipPhase`). That shortcut must
 * never change the answer: on a log of every spelling a line can have, `skipPhase` finds exactly the
 * entries that parsing every line and filtering by phase finds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ofPhase, SessionLogFiles } from '../common/session-log/files.js';

const entry = (i: number, phase: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ session_id: 's', timestamp: `2026-12-06T10:00:${String(i % 60).padStart(2, '0')}.000Z`, skill: phase === 'red' ? 'tdd_red' : phase, phase, project_root: '/p', final_status: 'ok', message: `call ${i}`, ...extra });

/** Lines a log may hold besides the server's own: each is an entry of another phase than its first key says, or none. */
const TRICKY = [
  // A later "phase" key: JSON.parse keeps the last, so this is an entry of phase red.
  `${entry(1, 'debug').slice(0, -1)},"phase":"red"}`,
  // The same with spaces around the colon.
  `${entry(2, 'debug').slice(0, -1)},"phase" : "red"}`,
  // Written by hand: spaces after the braces, the phase first.
  '{ "phase": "red", "skill": "tdd_red", "session_id": "s", "message": "by hand" }',
  // No phase at all: it is the skill's.
  '{"session_id":"s","timestamp":"2026-12-06T10:00:00Z","skill":"red","message":"no phase"}',
  // A phase with an escaped quote: not plain, so parsed.
  `{"session_id":"s","timestamp":"t","skill":"debug","phase":"de\\"bug","message":"odd"}`,
  // "phase" as a whole value somewhere: parsed, and of phase debug after all.
  `${entry(3, 'debug').slice(0, -1)},"note":"phase"}`,
  // Torn: starts plainly, never ends.
  '{"session_id":"s","timestamp":"t","skill":"debug","phase":"debug","mess',
  // A message that talks about phases, escaped as JSON escapes it.
  entry(4, 'debug', { message: 'the "phase":"red" step failed' }),
];

let dir: string;
const logs = () => new SessionLogFiles(dir);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-skip-phase-'));
  // Other phases far back, then the tricky lines, then a long run of the skipped phase (over 32 KiB).
  const lines = [entry(0, 'red'), entry(0, 'review'), ...TRICKY];
  for (let i = 0; i < 600; i++) lines.push(entry(i, 'debug', { message: `debugging step ${i} ${'x'.repeat(100)}` }));
  await writeFile(join(dir, 's.jsonl'), `${lines.join('\n')}\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('skipPhase', () => {
  it('finds exactly what parsing every line and leaving out the phase finds', async () => {
    for (const phase of ['debug', 'red', 'review']) {
      for (const limit of [1, 5, 20, Infinity]) {
        const parsed = await logs().recent('s', { limit, keep: (e) => e.phase !== phase });
        const skipped = await logs().recent('s', { limit, skipPhase: phase });
        expect(skipped, `${phase}, limit ${limit}`).toEqual(parsed);
      }
    }
    // The tricky lines are really there to be found: red by its last key, twice, by hand and by its skill.
    const messages = (await logs().recent('s', { skipPhase: 'debug' })).map((e) => e.message);
    expect(messages).toEqual(expect.arrayContaining(['call 0', 'call 1', 'call 2', 'by hand', 'no phase', 'odd']));
    expect(messages).not.toContain('call 3');
  });

  it('tells a plain line of the phase without parsing, and is never sure of any other', () => {
    expect(ofPhase(Buffer.from(entry(9, 'debug')), 'debug')).toBe(true);
    expect(ofPhase(Buffer.from(entry(9, 'debug')), 'red')).toBe(false);
    for (const line of TRICKY.slice(0, 6)) expect(ofPhase(Buffer.from(line), 'debug'), line).toBe(false);
  });
});
