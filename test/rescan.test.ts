/**
 * The periodic rescan is the safety net for edits the folder watches miss. An edit made through a
 * second name of the file (a hard link outside the brain) is one no watch of the brain's folders
 * reports: only the rescan finds it, and GET /metrics tells how long rescans take and what they found.
 */
import { appendFile, link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../ingestion/app.js';
import { Brain, type ReconcileReport } from '../ingestion/brain.js';
import { ingestionConfig } from '../ingestion/config.js';
import { nextRescanMs } from '../ingestion/disk-sync.js';
import { createLogger } from '../src/log.js';
import { waitFor } from './support/wait.js';

let dir: string;
let outside: string;
let brain: Brain;
let app: ReturnType<typeof buildApp>;
let url: string;
const scans: ReconcileReport[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-rescan-'));
  outside = await mkdtemp(join(tmpdir(), 'supervisor-rescan-outside-'));
  await mkdir(join(dir, 'knowledge'));
  await writeFile(join(dir, 'knowledge', 'pricing.md'), '---\ntitle: Pricing\n---\nPrices are rounded to the cent.\n');
  await link(join(dir, 'knowledge', 'pricing.md'), join(outside, 'alias.md'));
  brain = await Brain.open(dir, createLogger('silent'));
  app = buildApp({ brain, logger: createLogger('silent') });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  brain.onRescan((report) => scans.push(report));
  brain.watch(0.2); // the service allows 10 s at least (INGEST_RESCAN_SECONDS); a test need not wait that long
  await brain.reconcile();
});
afterAll(async () => {
  await app.close();
  await brain.close();
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const metric = async (name: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(text.split('\n').find((line) => line.startsWith(`${name} `))?.split(' ')[1]);
};

describe('the periodic rescan', () => {
  it('finds an edit no folder watch reported, and /metrics counts the rescans and what they found', async () => {
    await waitFor(() => scans.length > 0, 'a first rescan');
    expect(scans[0]).toMatchObject({ indexed: 0, removed: 0, failed: 0 });

    await appendFile(join(outside, 'alias.md'), 'Invoices show the zebracorn surcharge.\n');
    await waitFor(() => scans.some((scan) => scan.indexed === 1), 'a rescan that finds the edit');
    const found = (await (await fetch(`${url}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'zebracorn' }) })).json()) as {
      results: Array<{ path: string }>;
    };
    expect(found.results.map((hit) => hit.path)).toEqual(['pricing.md']);

    expect(await metric('supervisor_brain_rescan_duration_seconds_count')).toBeGreaterThanOrEqual(scans.length);
    expect(await metric('supervisor_brain_rescan_changes_total')).toBe(1);
  });
});

describe('the wait between two rescans', () => {
  it('is INGEST_RESCAN_SECONDS when set, whatever the last rescan took', () => {
    expect(nextRescanMs(0, 15)).toBe(15_000);
    expect(nextRescanMs(30_000, 15)).toBe(15_000);
  });

  it('is a minute by default, 100 times the last rescan when that is longer, and never over 15 minutes', () => {
    expect(nextRescanMs(0)).toBe(60_000);
    expect(nextRescanMs(120)).toBe(60_000); // 10,000 notes: every minute still
    expect(nextRescanMs(3_500)).toBe(350_000); // 300,000 notes: ~6 minutes
    expect(nextRescanMs(12_000)).toBe(900_000); // 1,000,000 notes: capped
  });

  it('is unset by default: the service does not fix it to a minute', () => {
    expect(ingestionConfig({}).rescanSeconds).toBeUndefined();
    expect(ingestionConfig({ INGEST_RESCAN_SECONDS: '90' }).rescanSeconds).toBe(90);
  });
});
