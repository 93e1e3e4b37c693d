/**
 * Reading a session log costs the same however long the session: a consulting call's history and
 * the log `retrospective` reads come from the log's end, and only as much of it is read as they use
 * (docs/mcp.md). What the server reads is measured by counting the bytes its file reads return for
 * the log's file; what reached the model, from the fake LiteLLM's record.
 */
import { readlinkSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { estimateTokens, type WhatWasCut } from '../src/consult/prompt.js';
import { SESSION_REVIEW_BYTES } from '../src/consult/session-review.js';
import { CALL_READ_BYTES } from '../src/session/call-reads.js';
import { COUNTED_BYTES, formatHistory, SessionLog, type SessionEntry } from '../src/session/log.js';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let client: Client;
useTestSupervisor((started, connected) => ((sup = started), (client = connected)));

const ROOT = '/work/shop';
const PHASES = [
  ['tdd_red', 'red'],
  ['review', 'review'],
  ['debug', 'debug'],
] as const;

/** An entry as the server writes it, about 450 bytes: a third of them of each phase. */
const line = (session: string, i: number) => {
  const [skill, phase] = PHASES[i % PHASES.length] ?? PHASES[0];
  return JSON.stringify({
    session_id: session, timestamp: '2026-11-21T10:00:00.000Z', skill, phase, project_root: ROOT, final_status: 'ok', model_used: 'gpu/coder',
    duration_ms: 4000, message: `finding ${i} ${'y'.repeat(200)}`, attempts: [{ model: 'gpu/coder', outcome: 'ok', ms: 4000 }], usage: { prompt_tokens: 5000, completion_tokens: 600 },
  });
};
/** A line the first deployment wrote: no attempts or usage, a null message. */
const OLD_LINE = JSON.stringify({ session_id: 'old', timestamp: '2026-03-02T10:00:00Z', skill: 'tdd', phase: 'red', project_root: '/src/shop', final_status: 'ok', model_used: 'gpu/old-coder', duration_ms: 5100, message: null });
const TORN = '{"session_id":"x","timestamp":"2026-11-21T10:00:00Z","skill":"rev';

async function writeLog(session: string, entries: number, ending = ''): Promise<string> {
  const dir = sup.sessionFiles!.dir;
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${session}.jsonl`);
  const lines: string[] = [];
  for (let i = 0; i < entries; i++) lines.push(line(session, i));
  await writeFile(file, `${lines.join('\n')}\n${ending}`);
  return file;
}

/** Bytes the server's file reads return from `file` while `work` runs (the server runs in this process). */
async function bytesReadFrom<T>(file: string, work: () => Promise<T>): Promise<{ result: T; bytes: number }> {
  const probe = await open(file, 'r');
  const prototype = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<{ bytesRead: number }> };
  await probe.close();
  const read = prototype.read;
  let bytes = 0;
  const spy = vi.spyOn(prototype, 'read').mockImplementation(async function (this: { fd: number }, ...args: unknown[]) {
    const done = await read.apply(this, args);
    if (readlinkSync(`/proc/self/fd/${this.fd}`) === file) bytes += done.bytesRead;
    return done;
  });
  try {
    return { result: await work(), bytes };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

const userPrompt = () => sup.llm.requests.at(-1)?.messages[1]?.content ?? '';
const findings = (text: string) => [...text.matchAll(/finding (\d+) /g)].map((m) => Number(m[1]));

describe("a consulting call's history", () => {
  const ENTRIES = 50_000;
  let file: string;
  beforeAll(async () => {
    // ~22 MB, ending with a line of the first deployment and a line torn by a crash
    file = await writeLog('long-history', ENTRIES, `${OLD_LINE}\n${TORN}`);
  });

  it('shows the 20 newest entries of other phases, reading a few KiB of a 22 MB log, old and torn lines as before', async () => {
    const { result, bytes } = await bytesReadFrom(file, () =>
      client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'TypeError: charge is not a function', session_id: 'long-history' } }),
    );
    expect(result.isError).toBeFalsy();
    const history = userPrompt().split('## Session history')[1]?.split('## Task')[0] ?? '';
    // the old line (its null message read as empty), then the newest 19 entries that are not debug
    expect(history).toContain('tdd (red) ok by gpu/old-coder: \n');
    const newest = Array.from({ length: 60 }, (_, k) => ENTRIES - 1 - k).filter((i) => PHASES[i % 3]?.[1] !== 'debug').slice(0, 19);
    expect(findings(history)).toEqual(newest.reverse());
    expect(history).not.toContain('rev\n');
    // one read of the log's end for all the call's questions (src/session/call-reads.ts), not the log's last 256 KiB
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(CALL_READ_BYTES + 1024);
  });
});

describe("a call's reads of its log", () => {
  it('a run of calls of its own phase longer than what a call reads first: the history still reaches back past it', async () => {
    const dir = sup.sessionFiles!.dir;
    await mkdir(dir, { recursive: true });
    const red = JSON.parse(line('long-run', 0)) as Record<string, unknown>;
    const debugs = Array.from({ length: 100 }, (_, i) => ({ ...(JSON.parse(line('long-run', 2)) as Record<string, unknown>), message: `debugging ${i}` }));
    await writeFile(join(dir, 'long-run.jsonl'), [red, ...debugs].map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    // 100 entries of ~450 bytes: the red one lies before the end a call reads first (CALL_READ_BYTES).
    expect(JSON.stringify(debugs).length).toBeGreaterThan(CALL_READ_BYTES);
    const result = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'still failing', session_id: 'long-run' } });
    expect(result.isError).toBeFalsy();
    const history = userPrompt().split('## Session history')[1]?.split('## Task')[0] ?? '';
    expect(findings(history)).toEqual([0]);
  });
});

describe('retrospective', () => {
  it('on a 50,000-entry log (22 MB): reads a bounded end, sends the newest entries within the window, says the count is a lower bound', async () => {
    const file = await writeLog('long-review', 50_000, `${OLD_LINE}\n${TORN}`);
    const { result, bytes } = await bytesReadFrom(file, () => client.callTool({ name: 'retrospective', arguments: { session_id: 'long-review' } }));
    expect(result.isError).toBeFalsy();
    // what is read: the end the model can use, and the line ends of a bounded part before it — not the
    // whole log (besides: the byte before the end read, and the last byte the call's own append checks)
    expect(bytes).toBeLessThanOrEqual(SESSION_REVIEW_BYTES + COUNTED_BYTES + 2);
    const sent = sup.llm.requests.at(-1);
    const window = Math.min(...sup.deps.models.chainFor('retrospective').map((m) => sup.deps.models.contextWindow(m)));
    expect(estimateTokens((sent?.messages ?? []).map((m) => m.content).join(''))).toBeLessThanOrEqual(window);
    const user = userPrompt();
    const shown = findings(user);
    expect(shown.length).toBeGreaterThan(10);
    expect(shown).toEqual(Array.from({ length: shown.length }, (_, k) => 50_000 - shown.length + k));
    expect(user).toMatch(/### 2026-03-02 10:00:00 tdd \(red\) ok by gpu\/old-coder, 5\.1 s\nAnswer:\n\(empty\)\n*$/);
    const counted = Number(user.match(/\*\*Consultations:\*\* at least (\d+) \(only the log's last \d+(\.\d+)? MiB were counted\)/)?.[1]);
    expect(counted).toBeGreaterThan(15_000);
    expect(counted).toBeLessThan(50_001);
    const cut = (result.structuredContent as { cut: WhatWasCut }).cut;
    expect(cut).toMatchObject({ session_entries: counted - shown.length - 1, session_entries_at_least: true });
  });

  it('on a log the server counts whole: the exact number of calls, and of entries left out', async () => {
    const entries = 12_000; // ~5 MB
    await writeLog('counted-review', entries, `${OLD_LINE}\n${TORN}`);
    const result = await client.callTool({ name: 'retrospective', arguments: { session_id: 'counted-review' } });
    const user = userPrompt();
    expect(user).toContain(`**Consultations:** ${entries + 1}\n`);
    const cut = (result.structuredContent as { cut: WhatWasCut }).cut;
    expect(cut.session_entries).toBe(entries - findings(user).length);
    expect(cut.session_entries_at_least).toBeUndefined();
  });
});

describe('SessionLog.tail and recent, on logs of every shape', () => {
  /** What a whole read finds: every line that parses, the last first. */
  function expected(text: string, maxBytes: number) {
    const size = Buffer.byteLength(text);
    const bytes = Buffer.from(text);
    const windowStart = size - Math.min(size, maxBytes);
    // lines whose start is inside the window (the line cut by its start is not read)
    let lineStart = 0;
    const inWindow: string[] = [];
    let before = 0;
    for (let at = 0; at <= size; at++) {
      if (at === size || bytes[at] === 0x0a) {
        if (lineStart >= windowStart) inWindow.push(bytes.subarray(lineStart, at).toString());
        else if (at < size) before++;
        lineStart = at + 1;
      }
    }
    return { lines: inWindow, before };
  }
  const parsed = (lines: string[]) =>
    lines.flatMap((l) => {
      try {
        const value = JSON.parse(l) as { skill?: unknown; message?: unknown };
        return value && typeof value.skill === 'string' ? [String(value.message ?? '')] : [];
      } catch {
        return [];
      }
    });

  it('finds exactly the entries a whole read finds in the window, and counts every earlier line', async () => {
    const dir = join(sup.brainDir, 'shapes');
    await mkdir(dir, { recursive: true });
    const log = new SessionLog(dir);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 40; round++) {
      const lines: string[] = [];
      const count = Math.floor(random() * 400);
      for (let i = 0; i < count; i++) {
        const kind = random();
        if (kind < 0.05) lines.push('');
        else if (kind < 0.1) lines.push('not json');
        else if (kind < 0.15) lines.push(OLD_LINE.replace('null', `"old ${i}"`));
        else lines.push(JSON.stringify({ skill: 'debug', phase: 'debug', message: `m${round}-${i} ${'é'.repeat(Math.floor(random() * 3000))}` }));
      }
      const text = lines.join('\n') + (random() < 0.5 ? '\n' : TORN);
      await writeFile(join(dir, 's.jsonl'), text);
      const maxBytes = 1 + Math.floor(random() * (Buffer.byteLength(text) + 100));
      const want = expected(text, maxBytes);
      const tail = await log.tail('s', maxBytes);
      expect(tail.entries.map((e) => e.message)).toEqual(parsed(want.lines));
      expect(tail).toMatchObject({ earlier: want.before, earlierExact: true });
      // stopped once the newest entries fill maxChars: the fewest newest entries that do
      const maxChars = 1 + Math.floor(random() * 20_000);
      const rendered = (entries: SessionEntry[]) => entries.reduce((chars, e) => chars + formatHistory([e]).length + 1, 0);
      let chars = 0;
      const filled = await log.tail('s', maxBytes, (entry) => (chars += rendered([entry])) >= maxChars);
      expect(tail.entries.slice(tail.entries.length - filled.entries.length)).toEqual(filled.entries);
      if (filled.entries.length < tail.entries.length) expect(rendered(filled.entries)).toBeGreaterThanOrEqual(maxChars);
      expect(rendered(filled.entries.slice(1))).toBeLessThan(maxChars);
      expect(filled.earlier).toBeGreaterThanOrEqual(tail.earlier + tail.entries.length - filled.entries.length);
      const limit = Math.floor(random() * 30);
      const recent = await log.recent('s', { limit });
      const all = parsed(expected(text, 256 * 1024).lines);
      expect(recent.map((e) => e.message)).toEqual(all.slice(all.length - Math.min(limit, all.length)));
    }
  });
});
