/**
 * Another process appends to a note (as `echo line >> note.md` in a loop does: open with O_APPEND,
 * write one line, close) while the service rewrites the same note over HTTP: appends that set a
 * frontmatter field, conditional appends and conditional overwrites (expected_sha256). Whatever the
 * interleaving, every line the other process wrote ends up in the note exactly once, and so does
 * every write of ours that answered 200; one answered 409 changed nothing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestService, within, type TestService } from './support/service.js';
import { GENEROUS_MS } from './support/wait.js';

let service: TestService;
useTestService((started) => (service = started));

// The other process appends lines in bursts, as fast as it can, with a pause between them (the
// pauses let conditional writes, which need the note unchanged between their read and their write,
// succeed now and then), until told to stop (or after OTHER_MAX_MS: a bound should this test fail
// before it says stop). About 3,000 lines a second at most: the note stays far below the size a
// note is read whole at.
const OTHER_MAX_MS = 25_000;
const BURST = 100;
const PAUSE_MS = 10;
// Every so many bursts the pause is longer: time enough for a conditional overwrite of a grown note,
// however loaded the machine.
const LONG_PAUSE_EVERY = 8;
const LONG_PAUSE_MS = 200;
// Our writes go on until there were this many, and each kind landed at least LANDED_EACH times.
const ROUNDS = 150;
const LANDED_EACH = 5;
// Appends that set a field, sent at once in each of their rounds.
const FIELD_APPENDS_AT_ONCE = 4;

/**
 * Starts the other writer on `file`: `appendFileSync` opens the file with O_APPEND for each line,
 * as a shell's `>>` does. It stops once `stopFile` exists; `finished` resolves with how many lines
 * it wrote.
 */
function otherWriter(file: string, stopFile: string): { finished: Promise<number> } {
  const script = `
    const { appendFileSync, existsSync } = require('node:fs');
    const [file, stopFile, max, burst, pause, longEvery, longPause] = process.argv.slice(1).map((arg, i) => (i < 2 ? arg : Number(arg)));
    const sleep = new Int32Array(new SharedArrayBuffer(4));
    const until = Date.now() + max;
    let i = 0;
    while (Date.now() < until) {
      appendFileSync(file, 'other ' + i + '\\n');
      i++;
      if (i % burst === 0) {
        if (existsSync(stopFile)) break;
        Atomics.wait(sleep, 0, 0, (i / burst) % longEvery === 0 ? longPause : pause);
      }
    }
    process.stdout.write(String(i));`;
  const child = spawn(process.execPath, ['-e', script, file, stopFile, ...[OTHER_MAX_MS, BURST, PAUSE_MS, LONG_PAUSE_EVERY, LONG_PAUSE_MS].map(String)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const finished = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(stdout)) : reject(new Error(`the other writer failed (${code}): ${stderr}`))));
  });
  return { finished };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** How many times each line occurs in `text`. */
function tallyLines(text: string): Map<string, number> {
  const tally = new Map<string, number>();
  for (const line of text.split('\n')) tally.set(line, (tally.get(line) ?? 0) + 1);
  return tally;
}

describe('another process appending to a note while the service rewrites it', () => {
  it('never loses a line the other process wrote, nor a write of ours that answered 200', async () => {
    const path = 'shared/log.md';
    expect((await service.post('/write', { filename: 'shared/log', content: '# Shared log\n\nStarted.\n', round: 0 })).status).toBe(201);
    const file = join(service.knowledge, path);

    const answered: Array<{ line: string; status: number }> = [];
    const landed = (kind: string) => answered.filter(({ line, status }) => line.startsWith(`ours ${kind} `) && status === 200).length;
    const stopFile = join(service.brainDir, 'stop-the-other-writer');
    const other = otherWriter(file, stopFile);
    let otherDone = false;
    void other.finished.finally(() => (otherDone = true)).catch(() => undefined);
    // Racing from its first line on (a process may take a while to start on a loaded machine).
    await within(10_000, async () => otherDone || (await readFile(file, 'utf8')).includes('\nother 0\n'));

    // Our writes, round after round, each racing the other process: (a) appends that set a
    // frontmatter field (the note is rewritten through a temp file and a rename), (b) a conditional
    // append and (c) a conditional overwrite, each with the sha256 of the note as just read (a 409
    // means it changed meanwhile: the next round reads it again). Until each kind landed a few times.
    const started = performance.now();
    for (let i = 0; !otherDone && performance.now() - started < OTHER_MAX_MS - 5_000; i++) {
      if (i >= ROUNDS && ['field', 'append', 'overwrite'].every((kind) => landed(kind) >= LANDED_EACH)) break;
      const kind = (['field', 'append', 'overwrite'] as const)[i % 3]!;
      if (kind === 'field') {
        // Several at once: they queue on the note's lock, so the note is rewritten back to back.
        const lines = Array.from({ length: FIELD_APPENDS_AT_ONCE }, (_, k) => `ours field ${i}.${k}`);
        const answers = await Promise.all(lines.map((line, k) => service.post('/write', { filename: path, mode: 'append', content: line, round: `${i}.${k}` })));
        answers.forEach(({ status, body }, k) => {
          if (status !== 200 && status !== 409) throw new Error(`append with a field: ${status} ${JSON.stringify(body)}`);
          answered.push({ line: lines[k]!, status });
        });
        continue;
      }
      const line = `ours ${kind} ${i}`;
      const read = await service.get(`/notes/${path}`, { accept: 'text/markdown' });
      expect(read.status).toBe(200);
      const content = kind === 'append' ? line : `${read.text}${line}\n`;
      const { status, body } = await service.post('/write', { filename: path, mode: kind, content, expected_sha256: sha256(read.text) });
      if (status !== 200 && status !== 409) throw new Error(`conditional ${kind}: ${status} ${JSON.stringify(body)}`);
      answered.push({ line, status });
    }
    await writeFile(stopFile, '');
    const otherLines = await other.finished;

    // A line written into the replaced file by a process that opened it just before a rename is
    // carried over up to a second later: wait for that (a loss would never come back).
    let text = '';
    let lines = new Map<string, number>();
    const missing = () => {
      const out: number[] = [];
      for (let i = 0; i < otherLines; i++) if (lines.get(`other ${i}`) !== 1) out.push(i);
      return out;
    };
    // Generous: it ends as soon as every line is there; only a loss waits it out.
    await within(GENEROUS_MS, async () => {
      text = await readFile(file, 'utf8');
      lines = tallyLines(text);
      return missing().length === 0;
    }).catch(() => undefined);
    expect(missing(), `lines of the other process not in the note exactly once (of ${otherLines})`).toEqual([]);
    for (const { line, status } of answered) expect(`${line}: ${lines.get(line) ?? 0}`).toBe(`${line}: ${status === 200 ? 1 : 0}`);
    // The race was really run: each kind of write of ours landed several times while the other wrote.
    for (const kind of ['field', 'append', 'overwrite']) expect(landed(kind), `${kind}s of ours that landed while the other wrote`).toBeGreaterThanOrEqual(LANDED_EACH);
    // And the note as the service reads it is the file as it is: its index agrees once it settles.
    const final = await service.get(`/notes/${path}`, { accept: 'text/markdown' });
    expect(final.text).toBe(text);
  }, OTHER_MAX_MS + 15_000);
});
