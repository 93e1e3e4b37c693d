/**
 * How long a damaged index takes to heal, beside a cold build of the same brain: damaged while the
 * service was stopped (healed at start) and while it runs (healed once a search finds the damage),
 * each timed until searches answer again. Prints one JSON line; `node dist/bench/heal-bench.js 10000`
 * runs it alone (the brains of bench/corpus.ts, zipf corpus).
 */
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { Brain } from '../ingestion/index.js';
import { brainFor, Vocabulary } from './corpus.js';

const size = Number(process.argv[2] ?? 10_000);
const logger = pino({ level: 'silent' });

export interface HealResult {
  notes: number;
  coldBuildMs: number;
  healAtStartMs: number;
  /** Null when no search of the first 500 happened to read a damaged page. */
  healWhileRunningMs: number | null;
}

const indexFile = (dir: string) => join(dir, '.index', 'brain.sqlite');

/** Every page of the index but the header overwritten with junk, after a checkpoint (test/index-damage.test.ts does the same). */
async function damage(dir: string): Promise<void> {
  const db = new Database(indexFile(dir));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const { size: bytes } = await stat(indexFile(dir));
  const handle = await open(indexFile(dir), 'r+');
  const junk = Buffer.alloc(1 << 20, 0x5a);
  try {
    for (let at = 4096; at < bytes; at += junk.length) await handle.write(junk, 0, Math.min(junk.length, bytes - at), at);
  } finally {
    await handle.close();
  }
}

/** Opens and loads the brain; answers how long until a search is answered, and the open brain. */
async function loadUntilSearchable(dir: string): Promise<{ ms: number; brain: Brain }> {
  const started = performance.now();
  const brain = await Brain.open(dir, logger);
  await brain.reconcile();
  await brain.search({ query: 'kari', limit: 5 });
  return { ms: Math.round(performance.now() - started), brain };
}

const { dir } = await brainFor(size, new Vocabulary());
await rm(join(dir, '.index'), { recursive: true, force: true });
const cold = await loadUntilSearchable(dir);
await cold.brain.close();

await damage(dir);
const atStart = await loadUntilSearchable(dir);

// Damaged under the running service: the first search of words not read yet finds it.
await damage(dir);
const started = performance.now();
let found = false;
let healedMs: number | null = null;
for (let i = 0; i < 100_000 && (found || i < 500); i++) {
  await atStart.brain.search({ query: `kari${i} word${i}`, limit: 5 }).catch(() => undefined); // 503 while rebuilt
  if (atStart.brain.damage !== null || !atStart.brain.ready) found = true;
  else if (found) {
    healedMs = Math.round(performance.now() - started);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, found ? 20 : 0));
}
await atStart.brain.close();

const result: HealResult = { notes: size, coldBuildMs: cold.ms, healAtStartMs: atStart.ms, healWhileRunningMs: healedMs };
console.log(JSON.stringify(result));
