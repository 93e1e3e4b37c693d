/**
 * What reading a session log costs as it grows: the history of every consulting call
 * (`SessionLog.recent`) and the log that `retrospective` and `trainer` read as their task
 * (`readSessionLog`, for a 32k-token window and for one larger than the most it ever reads), on logs
 * of 200, 20,000 and 200,000 entries (~530 bytes each) written as the server writes them.
 * Rounds alternate between the sizes; p50 of the rounds. The files are written once to the temp
 * folder, so the reads are from the page cache, as on a server whose logs are in use. Prints one
 * JSON line; run alone: `node dist/bench/session-bench.js` (or with sizes: `… 200 20000`).
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_HISTORY_ENTRIES } from '../src/consult/prompt.js';
import { readSessionLog } from '../src/consult/session-review.js';
import { SessionLog, type SessionEntry } from '../src/session/log.js';

export interface SessionSizeResult {
  entries: number;
  fileMb: number;
  /** ms, p50: the history a consulting call reads (a `review` call: the 20 newest entries of other phases). */
  recent: number;
  /** Entries it returned. */
  recentEntries: number;
  /** ms, p50: the log retrospective and trainer read for a 32k-token window (the shipped models'). */
  review: number;
  /** Entries read, characters of the text handed to the prompt, entries counted as earlier (and whether exactly). */
  reviewEntries: number;
  reviewChars: number;
  reviewEarlier: number;
  reviewEarlierExact: boolean;
  /** ms, p50, and entries read: the same for a window larger than the most that is ever read (SESSION_REVIEW_BYTES). */
  reviewLargestWindow: number;
  reviewLargestWindowEntries: number;
}

export interface SessionResult {
  sizes: SessionSizeResult[];
}

const ROUNDS = 15;
const WINDOW = 32_768;
const LARGEST_WINDOW = 1_000_000;
const PHASES = [
  ['tdd_red', 'red'],
  ['tdd_green', 'green'],
  ['review', 'review'],
  ['debug', 'debug'],
] as const;

/** An entry as `logged` (src/consult/session-entry.ts) writes it: the answer's first 200 characters, one attempt, usage. */
function entry(i: number): SessionEntry {
  const [skill, phase] = PHASES[i % PHASES.length] ?? PHASES[0];
  return {
    session_id: 'bench',
    timestamp: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    skill,
    phase,
    project_root: '/src/shop',
    final_status: 'ok',
    model_used: 'gpu/qwen-coder-32b',
    duration_ms: 4000 + (i % 997),
    message: `Call ${i}: the failing test shows the refund is rounded before the discount is applied; move the rounding after it and add a test for a 0.005 remainder. ${'More detail. '.repeat(4)}`.slice(0, 200),
    attempts: [{ model: 'gpu/qwen-coder-32b', outcome: 'ok', ms: 4000 + (i % 997) }],
    usage: { prompt_tokens: 5200, completion_tokens: 640 },
  };
}

async function writeLog(dir: string, id: string, entries: number): Promise<number> {
  const file = join(dir, `${id}.jsonl`);
  const lines: string[] = [];
  for (let i = 0; i < entries; i++) lines.push(JSON.stringify({ ...entry(i), session_id: id }));
  await writeFile(file, `${lines.join('\n')}\n`);
  return (await stat(file)).size;
}

async function main(): Promise<void> {
  const given = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const sizes = given.length > 0 ? given : [200, 20_000, 200_000];
  const dir = join(tmpdir(), 'supervisor-session-bench');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const sessions = new SessionLog(dir);
  const bytes = new Map<number, number>();
  for (const size of sizes) bytes.set(size, await writeLog(dir, `s${size}`, size));

  type Read = Awaited<ReturnType<typeof readSessionLog>>;
  const ways = ['recent', 'review', 'reviewLargestWindow'] as const;
  const samples = new Map(sizes.map((size) => [size, Object.fromEntries(ways.map((way) => [way, [] as number[]])) as Record<(typeof ways)[number], number[]>]));
  const last = new Map<number, { recent: SessionEntry[]; review: Read; largest: Read }>();
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    const result = await work();
    return [result, performance.now() - started];
  };
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const size of sizes) {
      const id = `s${size}`;
      // as a consulting call asks (src/consult/consultation.ts): the newest entries of other phases
      const [recent, recentMs] = await timed(() => sessions.recent(id, { limit: MAX_HISTORY_ENTRIES, keep: (e) => e.phase !== 'review' }));
      const [review, reviewMs] = await timed(() => readSessionLog({ sessions }, id, WINDOW));
      const [largest, largestMs] = await timed(() => readSessionLog({ sessions }, id, LARGEST_WINDOW));
      if (round === 0) continue; // the first round warms the JIT and the page cache
      const sample = samples.get(size);
      sample?.recent.push(recentMs);
      sample?.review.push(reviewMs);
      sample?.reviewLargestWindow.push(largestMs);
      last.set(size, { recent, review, largest });
    }
  }
  const p50 = (values: number[] = []) => Math.round(([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN) * 100) / 100;
  const result: SessionResult = {
    sizes: sizes.map((size) => {
      const read = last.get(size);
      const sample = samples.get(size);
      return {
        entries: size,
        fileMb: Math.round(((bytes.get(size) ?? 0) / 1024 / 1024) * 10) / 10,
        recent: p50(sample?.recent),
        recentEntries: read?.recent.length ?? 0,
        review: p50(sample?.review),
        reviewEntries: read?.review.entries.length ?? 0,
        reviewChars: read?.review.text.length ?? 0,
        reviewEarlier: read?.review.earlier ?? 0,
        reviewEarlierExact: read?.review.earlierExact ?? true,
        reviewLargestWindow: p50(sample?.reviewLargestWindow),
        reviewLargestWindowEntries: read?.largest.entries.length ?? 0,
      };
    }),
  };
  await rm(dir, { recursive: true, force: true });
  console.log(JSON.stringify(result));
}

await main();
