/**
 * `npm run bench`: measures the brain at 1k, 10k and 100k notes (or the sizes given, as in
 * `npm run bench -- 1000 10000`), on both corpora of bench/corpus.ts, each in a fresh process: in-process
 * (bench/brain-bench.ts), then the ingestion service from outside over HTTP (bench/load-bench.ts); then
 * what a consulting call adds around the model at the same sizes (bench/mcp-bench.ts), and how long the built command line takes to start
 * (bench/startup-bench.ts, measured first, while the machine is quiet) and what frontmatter costs a
 * note (bench/frontmatter-bench.ts) and how well the ranking does on the labelled set
 * (bench/search-quality.ts), what a search costs against the size of the note it finds
 * (bench/excerpt-bench.ts) and how the near-duplicate check of trainer's save does on it
 * (bench/duplicate-eval.ts) and how long a damaged index takes to heal (bench/heal-bench.ts), whether /health
 * stalls with every note in one folder (bench/stall-bench.ts), and what 1, 2 and 3 MCP
 * server replicas behind HAProxy do with one brain service (bench/replicas-bench.ts), and prints tables. Compared approaches are measured in the same
 * run, so their ratios hold even on a noisy machine. Generated brains are kept in the temp folder.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SizeResult } from './brain-bench.js';
import { CORPORA } from './corpus.js';
import { formatDuplicates, type DuplicateEval } from './duplicate-eval.js';
import { formatQuality, type QualitySummary } from './search-eval.js';
import type { ExcerptResult } from './excerpt-bench.js';
import type { FrontmatterResult } from './frontmatter-bench.js';
import type { HealResult } from './heal-bench.js';
import type { SessionResult } from './session-bench.js';
import type { StallResult } from './stall-bench.js';
import type { Latency } from './latency.js';
import type { LoadResult, QueryKindResult } from './load-bench.js';
import type { Era, McpResult } from './mcp-bench.js';
import type { ReplicasResult } from './replicas-bench.js';

// Not imported from mcp-bench.js, which runs its measurement when loaded.
const ERAS: readonly Era[] = ['legacy', 'modern'];
const ERA_NAMES: Record<Era, string> = { legacy: '2025 (session)', modern: '2026-07-28' };
import type { StartupResult } from './startup-bench.js';

const givenSizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const brainSizes = givenSizes.length > 0 ? givenSizes : [1_000, 10_000, 100_000];

/** Runs one benchmark script in a fresh process and returns the JSON line it prints last. */
function measure<T>(script: string, args: string[]): Promise<T> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += String(chunk)));
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as T);
      else reject(new Error(`${script} ${args.join(' ')} failed (exit ${code})`));
    });
  });
}

process.stderr.write('measuring start-up…\n');
const startup = await measure<StartupResult>('./startup-bench.js', ['10']);

function printTable(header: string[], rows: string[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const rows: string[][] = [];
const results: SizeResult[] = [];
// Both corpora at each size, one after the other: the favourable one and the one with common words.
for (const size of brainSizes) {
  for (const corpus of CORPORA) {
    process.stderr.write(`measuring ${size} notes (${corpus})…\n`);
    const r = await measure<SizeResult>('./brain-bench.js', [String(size), corpus]);
    results.push(r);
    rows.push([
      r.notes.toLocaleString('en'),
      r.corpus,
      `${(r.coldStartMs / 1000).toFixed(1)} s / ${(r.warmStartMs / 1000).toFixed(2)} s`,
      `${ms(r.keyword.p50)} / ${ms(r.keyword.p99)}`,
      `${ms(r.keyword.scanP50)} (${r.keyword.speedup}×)`,
      `${ms(r.prompt.p50)} / ${ms(r.prompt.p99)}`,
      `${ms(r.prompt.scanP50)} (${r.prompt.speedup}×)`,
      `${ms(r.writeToSearchable.p50)} / ${ms(r.writeToSearchable.p99)}`,
      `${ms(r.diskEditToSearchable.p50)} / ${ms(r.diskEditToSearchable.p99)}`,
      `${r.idleCpuMsPer10s}`,
      `${r.peakRssMb}`,
    ]);
  }
}

const header = [
  'notes',
  'corpus',
  'start cold / warm',
  'keyword p50/p99 ms',
  'scan p50 ms (×)',
  'prompt p50/p99 ms',
  'scan p50 ms (×)',
  'write→searchable p50/p99 ms',
  'disk edit→searchable p50/p99 ms',
  'idle CPU ms/10 s',
  'peak RSS MB',
];
printTable(header, rows);
console.log(`\nmachine: ${process.platform} ${process.arch}, node ${process.version}; raw: ${JSON.stringify(results)}`);

// The ingestion service from outside: a child process timed over HTTP, both corpora at each size.
const loadRows: string[][] = [];
const writeRows: string[][] = [];
const loads: LoadResult[] = [];
for (const size of brainSizes) {
  for (const corpus of CORPORA) {
    process.stderr.write(`measuring the service over HTTP, ${size} notes (${corpus})…\n`);
    const r = await measure<LoadResult>('./load-bench.js', [String(size), corpus]);
    loads.push(r);
    const kind = (k: QueryKindResult) => `${ms(k.p50)} / ${ms(k.p99)} (scan ${ms(k.scanP50)}, ${k.speedup}×)`;
    const lat = (l: Latency) => `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)}`;
    loadRows.push([r.notes.toLocaleString('en'), r.corpus, kind(r.queries.keyword), kind(r.queries.consult), kind(r.queries.prompt)]);
    writeRows.push([
      r.notes.toLocaleString('en'),
      r.corpus,
      `${(r.coldBuild.readyMs / 1000).toFixed(1)} s`,
      lat(r.coldBuild.health),
      lat(r.writes.idle.write),
      lat(r.writes.underLoad.write),
      lat(r.writes.underLoad.health),
      `${r.writes.underLoad.queriesPerSecond}`,
    ]);
  }
}
printTable(
  ['notes', 'corpus', 'keyword p50 / p99 ms over HTTP (scan, ×)', "consulting call's query", 'prompt-length'],
  loadRows,
);
console.log('');
printTable(
  [
    'notes',
    'corpus',
    'cold build (spawn → ready)',
    '/health during the build p50 / p99 / max ms',
    'POST /write idle p50 / p99 / max ms',
    `POST /write, ${loads[0]?.writes.underLoad.clients ?? 4} clients querying`,
    '/health, clients querying',
    'queries/s',
  ],
  writeRows,
);
console.log(`\nraw: ${JSON.stringify(loads)}`);

process.stderr.write('measuring consulting calls through MCP…\n');
const mcp = await measure<McpResult>('./mcp-bench.js', brainSizes.map(String));
console.log(`
| consulting call (review, ${mcp.corpus} corpus, ${mcp.historyEntries}-entry history, ${mcp.calls} calls per era, interleaved) | protocol | overhead p50 / p99 ms | bare MCP round trip p50 / p99 ms |
|---|---|---|---|
${mcp.overheads
  .flatMap((o) => ERAS.map((era) => `| ${o.notes.toLocaleString('en')}-note brain (${o.knowledgePerCall} notes found per call, ${o.callsWithoutKnowledge} calls none) | ${ERA_NAMES[era]} | ${ms(o.overhead[era].p50)} / ${ms(o.overhead[era].p99)} | ${ms(o.bareCall[era].p50)} / ${ms(o.bareCall[era].p99)} |`))
  .join('\n')}

| ${mcp.concurrency.calls} concurrent calls, model takes ${mcp.concurrency.modelMs} ms, ${mcp.concurrency.notes.toLocaleString('en')}-note brain | ${ERAS.map((era) => ERA_NAMES[era]).join(' | ')} |
|---|---|---|
| through supervisor (MCP), wall ms | ${ERAS.map((era) => `${mcp.concurrency[era].mcpWallMs} (${mcp.concurrency[era].errors} errors)`).join(' | ')} |
| direct openai client calls, wall ms | ${mcp.concurrency.directWallMs} | ${mcp.concurrency.directWallMs} |
| ratio | ${ERAS.map((era) => `${mcp.concurrency[era].ratio}×`).join(' | ')} |
| server CPU per call | ${ERAS.map((era) => `${mcp.concurrency[era].serverCpuMsPerCall ?? 'n/a'} ms`).join(' | ')} |

raw: ${JSON.stringify(mcp)}`);

console.log(`
| start-up of the built CLI (${startup.runs} runs each, alternating) | p50 / p90 ms |
|---|---|
| \`supervisor bridge\`: spawn → \`initialize\` answered (server running) | ${ms(startup.bridge.p50)} / ${ms(startup.bridge.p90)} |
| \`supervisor --help\`: spawn → exit | ${ms(startup.help.p50)} / ${ms(startup.help.p90)} |
| \`node -e 0\`, same run: the floor | ${ms(startup.bareNode.p50)} / ${ms(startup.bareNode.p90)} |

raw: ${JSON.stringify(startup)}`);

process.stderr.write('measuring ranking quality…\n');
const quality = await measure<QualitySummary>('./search-quality.js', ['--json']);
console.log(`\n${formatQuality(quality)}\n\nraw: ${JSON.stringify(quality)}`);

process.stderr.write('measuring the near-duplicate check…\n');
const duplicates = await measure<DuplicateEval>('./duplicate-eval.js', ['--json']);
console.log(`\n${formatDuplicates(duplicates)}\n\nraw: ${JSON.stringify(duplicates)}`);

process.stderr.write('measuring search against note size…\n');
const excerpts = await measure<ExcerptResult>('./excerpt-bench.js', []);
const msOrDash = (n: number | null) => (n === null ? '—' : ms(n));
console.log(`
| one note, "x" repeated (matches indexed) | search now p50 ms | with snippet() ms (extrapolated) | ranking alone ms |
|---|---|---|---|
${excerpts.sizes.map((s) => `| ${s.repeats.toLocaleString('en')} (${s.indexed.toLocaleString('en')}) | ${ms(s.nowMs)} | ${s.snippetMs === null ? `— (~${(s.snippetEstimateMs / 1000).toFixed(0)} s)` : msOrDash(s.snippetMs)} | ${ms(s.rankOnlyMs)} |`).join('\n')}

raw: ${JSON.stringify(excerpts)}`);

process.stderr.write('measuring frontmatter…\n');
const fm = await measure<FrontmatterResult>('./frontmatter-bench.js', []);
console.log(`
| frontmatter, ${fm.notes.toLocaleString('en')} synthetic notes in memory | µs per note (p50) |
|---|---|
| \`parseNote\` (fences + js-yaml + bounds), as the index build reads a note | ${ms(fm.parseNote)} |
| the YAML block alone: js-yaml (core schema) | ${ms(fm.jsYamlBlock)} |
| the YAML block alone: the yaml package (core schema) | ${ms(fm.yamlPackageBlock)} |
| setting one field (the yaml package, comments kept) | ${ms(fm.editOneField)} |

raw: ${JSON.stringify(fm)}`);

process.stderr.write('measuring session logs…\n');
const sessionLogs = await measure<SessionResult>('./session-bench.js', []);
console.log(`
| session log, entries (MB) | history ms | retrospective ms, 32k window / largest | entries read | earlier lines counted |
|---|---|---|---|---|
${sessionLogs.sizes.map((s) => `| ${s.entries.toLocaleString('en')} (${s.fileMb}) | ${ms(s.recent)} | ${ms(s.review)} / ${ms(s.reviewLargestWindow)} | ${s.reviewEntries} | ${s.reviewEarlier}${s.reviewEarlierExact ? '' : ' (at least)'} |`).join('\n')}`);

process.stderr.write('measuring how a damaged index heals…\n');
const heals: HealResult[] = [];
for (const size of brainSizes) heals.push(await measure<HealResult>('./heal-bench.js', [String(size)]));
console.log(`
| notes (zipf) | cold build s | healed at start s | healed while running s |
|---|---|---|---|
${heals.map((h) => `| ${h.notes.toLocaleString('en')} | ${(h.coldBuildMs / 1000).toFixed(1)} | ${(h.healAtStartMs / 1000).toFixed(1)} | ${h.healWhileRunningMs === null ? '— (not found by 500 searches)' : (h.healWhileRunningMs / 1000).toFixed(1)} |`).join('\n')}

raw: ${JSON.stringify(heals)}`);

process.stderr.write('measuring /health with every note in one folder…\n');
const stalls = await measure<StallResult>('./stall-bench.js', brainSizes.map(String));
const health = (l: Latency) => `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)}`;
console.log(`
| notes in one folder | cold build s | /health during it p50 / p99 / max ms | warm start s | /health during it | rescan, nothing changed: s (CPU s) | /health during it | writes during it (before it) p50 / max ms |
|---|---|---|---|---|---|---|---|
${stalls.runs.map((r) => `| ${r.notes.toLocaleString('en')} | ${(r.cold.readyMs / 1000).toFixed(1)} | ${health(r.cold.health)} | ${(r.warm.readyMs / 1000).toFixed(1)} | ${health(r.warm.health)} | ${r.rescan.ms === null ? '— (not seen)' : `${(r.rescan.ms / 1000).toFixed(2)} (${((r.rescan.cpuMs ?? 0) / 1000).toFixed(2)})`} | ${health(r.rescan.health)} | ${ms(r.rescan.writes.p50)} / ${ms(r.rescan.writes.max)} (${ms(r.rescan.writesBefore.p50)} / ${ms(r.rescan.writesBefore.max)}) |`).join('\n')}

load average (1, 5, 15 min) at the end: ${stalls.loadAverage.join(', ')}

raw: ${JSON.stringify(stalls)}`);

process.stderr.write('measuring MCP replicas behind HAProxy…\n');
const replicas = await measure<ReplicasResult>('./replicas-bench.js', []);
const bySet = (cell: (set: ReplicasResult['sets'][number]) => string) => replicas.sets.map(cell).join(' | ');
const msOrNa = (n: number | null) => (n === null ? 'n/a' : ms(n));
console.log(`
| ${replicas.calls} calls at once (debug, half 2025-era, half 2026-07-28), model takes ${replicas.modelMs} ms, ${replicas.rounds} rounds interleaved | ${bySet((s) => `${s.replicas} replica${s.replicas === 1 ? '' : 's'}`)} |
|---|${replicas.sets.map(() => '---').join('|')}|
| calls/s (median round) | ${bySet((s) => `${s.callsPerSecond}`)} |
| overhead p50 / p99 ms (latency − model) | ${bySet((s) => `${ms(s.overhead.p50)} / ${ms(s.overhead.p99)}`)} |
| brain service CPU per logged call, ms | ${bySet((s) => msOrNa(s.brainCpuMsPerCall))} |
| the replicas' CPU per call, ms | ${bySet((s) => msOrNa(s.replicaCpuMsPerCall))} |
| HAProxy CPU per call, ms | ${bySet((s) => msOrNa(s.haproxyCpuMsPerCall))} |
| the clients' and fake model's CPU per call (the bench process), ms | ${bySet((s) => ms(s.clientCpuMsPerCall))} |
| errors | ${bySet((s) => `${s.errors}`)} |

machine: ${replicas.cores} cores (os.cpus().length), shared by all the replicas, the brain service, HAProxy, the fake model and the clients: more replicas add processes here, not cores.

raw: ${JSON.stringify(replicas)}`);
