/**
 * The near-duplicate check (src/knowledge/) measured on the labelled set (docs/knowledge-loop.md):
 * test/fixtures/search-eval/duplicates.json holds drafted entries in the trainer-writer's format,
 * each labelled as restating one note of the set (and whether it adds something) or as a new lesson
 * on a neighbouring topic; and every note of the set, checked against the brain without itself, must
 * not be merged into another (leave-one-out). The check runs as trainer's save runs it — the brain's
 * search for candidates, the notes read in full, the same comparison — but writes nothing.
 *
 * The threshold is tuned on one half (every other entry of each label, every other note) and reported
 * on both halves and the whole. Shared by `npm run bench` (run as a script: `--json` prints one JSON
 * line) and test/duplicate-check.test.ts (the floors).
 */
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type { NoteResponse } from '../common/brain-contract.js';
import { Brain } from '../ingestion/index.js';
import { parseTrainerEntries } from '../src/knowledge/entries.js';
import { compare, DUPLICATE_RULE, type Comparison, type DuplicateRule } from '../src/knowledge/near-duplicate.js';
import { candidatesFor, CANDIDATES, type NoteStore } from '../src/knowledge/save.js';
import { evalSetDir, listNotes } from './search-eval.js';

export interface LabelledEntry {
  id: string;
  label: 'duplicate' | 'distinct';
  /** duplicate: the note it restates. */
  of?: string;
  /** duplicate: whether it adds something the note lacks (then it should be appended, else skipped). */
  adds?: boolean;
  /** distinct: the notes on the same topic that might fool the check. */
  neighbours?: string[];
  /** The entry as the trainer-writer drafts it. */
  entry: string;
}

/** One checked text: a labelled entry, or a note of the set left out of the brain. */
interface Checked {
  id: string;
  kind: 'duplicate' | 'distinct' | 'leave-one-out';
  half: 'tune' | 'held-out';
  of?: string;
  adds?: boolean;
  /** The entry and its candidates, read once; decisions under any rule are made from them. */
  entry: { title: string; body: string };
  candidates: NoteResponse[];
}

export interface Counts {
  duplicates: number;
  /** Duplicates skipped or appended to the note they restate. */
  caught: number;
  /** Duplicates merged into another note. */
  wrongTarget: number;
  /** Duplicates that would have been created as a second copy. */
  missed: number;
  /** Caught duplicates whose skip or append matched the label (adds something → append). */
  actionAgrees: number;
  distinct: number;
  /** New lessons merged into an existing note. */
  distinctMerged: number;
  notes: number;
  /** Notes of the set merged into another note when checked without themselves. */
  leaveOneOutMerged: number;
  /** caught / (caught + wrong target + distinct merged + leave-one-out merged). */
  precision: number;
  /** caught / duplicates. */
  recall: number;
}

export interface DuplicateEval {
  notes: number;
  entries: number;
  candidates: number;
  /** The rule tuned on the tune half (the shipped one when not tuned), and whether the shipped DUPLICATE_RULE is that rule. */
  tuned: DuplicateRule;
  shippedIsTuned: boolean;
  /** Under the shipped rule. */
  tune: Counts;
  heldOut: Counts;
  all: Counts;
  /** Under the shipped rule, all of the set: each wrong merge, for reading. */
  falseMerges: Array<{ id: string; into: string; score: number }>;
  misses: Array<{ id: string; of: string; best: string | null; score: number }>;
  /** Milliseconds per checked text (search, reads, comparison), mean. */
  msPerCheck: number;
  problems: string[];
}

const THRESHOLDS = Array.from({ length: 21 }, (_, i) => Math.round((0.3 + i * 0.02) * 100) / 100);
const SENTENCE_TERMS = [5, 6, 7, 8, 9, 10];
const SENTENCE_SHARES = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5];

/** The labelled entries and their problems (unknown notes, unparsable entries, duplicate ids). */
export async function loadLabelledEntries(setDir: string, notes: string[]): Promise<{ entries: LabelledEntry[]; problems: string[] }> {
  const entries = JSON.parse(await readFile(join(setDir, 'duplicates.json'), 'utf8')) as LabelledEntry[];
  const known = new Set(notes);
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const e of entries) {
    if (ids.has(e.id)) problems.push(`${e.id}: duplicate id`);
    ids.add(e.id);
    if (parseTrainerEntries(e.entry).length !== 1) problems.push(`${e.id}: not exactly one entry in the trainer-writer's format`);
    for (const path of e.label === 'duplicate' ? [e.of ?? ''] : (e.neighbours ?? [])) if (!known.has(path)) problems.push(`${e.id}: names ${path}, which the set does not hold`);
    if (e.label === 'duplicate' && typeof e.adds !== 'boolean') problems.push(`${e.id}: a duplicate without adds`);
  }
  return { entries, problems };
}

/** A brain on a temporary copy of the set's notes, as a NoteStore; `without` is left out of searches. */
function storeOver(brain: Brain, without?: string): NoteStore {
  return {
    search: async (query) => (await brain.search({ ...query, limit: query.limit + 1 })).filter((hit) => hit.path !== without).slice(0, query.limit),
    read: (path) => brain.read(path),
    write: () => Promise.reject(new Error('the evaluation writes nothing')),
  };
}

async function checkAll(setDir: string): Promise<{ checked: Checked[]; notes: string[]; problems: string[]; msPerCheck: number }> {
  const notes = await listNotes(setDir);
  const { entries, problems } = await loadLabelledEntries(setDir, notes);
  const dir = await mkdtemp(join(tmpdir(), 'supervisor-duplicate-eval-'));
  try {
    await mkdir(join(dir, 'knowledge'));
    await cp(join(setDir, 'notes'), join(dir, 'knowledge'), { recursive: true });
    const brain = await Brain.open(dir, pino({ level: 'silent' }));
    try {
      await brain.reconcile();
      const started = performance.now();
      const checked: Checked[] = [];
      const seen = { duplicate: 0, distinct: 0 };
      for (const labelled of entries) {
        const [entry] = parseTrainerEntries(labelled.entry);
        if (!entry) continue;
        const half = seen[labelled.label]++ % 2 === 0 ? 'tune' : 'held-out';
        checked.push({ id: labelled.id, kind: labelled.label, half, of: labelled.of, adds: labelled.adds, entry, candidates: await candidatesFor(storeOver(brain), entry) });
      }
      for (const [i, path] of notes.entries()) {
        const note = await brain.read(path);
        // A note stands for an entry: its title, and its opening as the lesson searched with.
        const entry = { title: note.title, body: note.body, lesson: note.body.slice(0, 600) };
        checked.push({ id: path, kind: 'leave-one-out', half: i % 2 === 0 ? 'tune' : 'held-out', entry, candidates: await candidatesFor(storeOver(brain, path), entry) });
      }
      return { checked, notes, problems, msPerCheck: Math.round(((performance.now() - started) / checked.length) * 100) / 100 };
    } finally {
      await brain.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Decided {
  checked: Checked;
  best: Comparison | undefined;
}

/** What the save would do with each checked text under `rule`. */
function decide(checked: Checked[], rule: DuplicateRule): Decided[] {
  return checked.map((c) => ({ checked: c, best: c.candidates.length > 0 ? compare(c.entry, c.candidates, rule)[0] : undefined }));
}

export function countDecisions(decided: Decided[], threshold: number): Counts {
  const merged = (d: Decided) => d.best !== undefined && d.best.score >= threshold;
  const of = (kind: Checked['kind']) => decided.filter((d) => d.checked.kind === kind);
  const duplicates = of('duplicate');
  const caught = duplicates.filter((d) => merged(d) && d.best!.path === d.checked.of);
  const wrongTarget = duplicates.filter((d) => merged(d) && d.best!.path !== d.checked.of).length;
  const distinctMerged = of('distinct').filter(merged).length;
  const leaveOneOutMerged = of('leave-one-out').filter(merged).length;
  const wrong = wrongTarget + distinctMerged + leaveOneOutMerged;
  return {
    duplicates: duplicates.length,
    caught: caught.length,
    wrongTarget,
    missed: duplicates.length - caught.length - wrongTarget,
    actionAgrees: caught.filter((d) => (d.best!.newSentences.length > 0) === d.checked.adds).length,
    distinct: of('distinct').length,
    distinctMerged,
    notes: of('leave-one-out').length,
    leaveOneOutMerged,
    precision: round(caught.length / Math.max(1, caught.length + wrong)),
    recall: round(caught.length / Math.max(1, duplicates.length)),
  };
}

const f1 = (c: Counts) => (c.precision + c.recall === 0 ? 0 : (2 * c.precision * c.recall) / (c.precision + c.recall));

/**
 * The rule that does best on the tune half: the threshold with the best F1 (the middle of the best
 * run of thresholds when several tie), then the new-sentence settings that best agree with the
 * labels' adds-something on the duplicates it caught.
 */
export function tune(checked: Checked[]): DuplicateRule {
  const half = checked.filter((c) => c.half === 'tune');
  const scored = decide(half, DUPLICATE_RULE);
  const byThreshold = THRESHOLDS.map((threshold) => ({ threshold, f1: round(f1(countDecisions(scored, threshold))) }));
  const top = Math.max(...byThreshold.map((t) => t.f1));
  const best = byThreshold.filter((t) => t.f1 === top);
  const threshold = best[Math.floor((best.length - 1) / 2)]!.threshold;
  let rule: DuplicateRule = { ...DUPLICATE_RULE, threshold };
  let agrees = -1;
  for (const newSentenceTerms of SENTENCE_TERMS) {
    for (const newSentenceShare of SENTENCE_SHARES) {
      const candidate = { threshold, newSentenceTerms, newSentenceShare };
      const counts = countDecisions(decide(half, candidate), threshold);
      if (counts.actionAgrees > agrees) {
        agrees = counts.actionAgrees;
        rule = candidate;
      }
    }
  }
  return rule;
}

/** `tune: false` skips tuning (most of the run's time): the test's floors only need the shipped rule's figures. */
export async function measureDuplicates(setDir = evalSetDir(), options: { tune?: boolean } = {}): Promise<DuplicateEval> {
  const { checked, notes, problems, msPerCheck } = await checkAll(setDir);
  const tuned = options.tune === false ? DUPLICATE_RULE : tune(checked);
  const shipped = DUPLICATE_RULE;
  const decided = decide(checked, shipped);
  const counts = (half?: Checked['half']) => countDecisions(half ? decided.filter((d) => d.checked.half === half) : decided, shipped.threshold);
  const merged = decided.filter((d) => d.best && d.best.score >= shipped.threshold);
  return {
    notes: notes.length,
    entries: checked.filter((c) => c.kind !== 'leave-one-out').length,
    candidates: CANDIDATES,
    tuned,
    shippedIsTuned: JSON.stringify(tuned) === JSON.stringify(shipped),
    tune: counts('tune'),
    heldOut: counts('held-out'),
    all: counts(),
    falseMerges: merged
      .filter((d) => d.checked.kind !== 'duplicate' || d.best!.path !== d.checked.of)
      .map((d) => ({ id: d.checked.id, into: d.best!.path, score: round(d.best!.score) })),
    misses: decided
      .filter((d) => d.checked.kind === 'duplicate' && !(d.best && d.best.score >= shipped.threshold))
      .map((d) => ({ id: d.checked.id, of: d.checked.of ?? '', best: d.best?.path ?? null, score: round(d.best?.score ?? 0) })),
    msPerCheck,
    problems,
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The markdown tables `npm run bench` prints. */
export function formatDuplicates(r: DuplicateEval): string {
  const row = (name: string, c: Counts) =>
    `| ${name} | ${c.caught} / ${c.duplicates} | ${c.wrongTarget} | ${c.missed} | ${c.actionAgrees} / ${c.caught} | ${c.distinctMerged} / ${c.distinct} | ${c.leaveOneOutMerged} / ${c.notes} | ${c.precision.toFixed(3)} | ${c.recall.toFixed(3)} |`;
  const rule = (x: DuplicateRule) => `threshold ${x.threshold}, a new sentence has ≥ ${x.newSentenceTerms} content words of which the note holds < ${x.newSentenceShare}`;
  return [
    `| near-duplicate check, labelled set (${r.notes} notes, ${r.entries} drafted entries, ${r.candidates} candidates each) | duplicates caught (right note) | wrong note | missed (a second copy) | skip/append as labelled | new lessons merged | notes merged, leave-one-out | precision | recall |`,
    '|---|---|---|---|---|---|---|---|---|',
    row('tune half (the rule was chosen on it)', r.tune),
    row('held-out half', r.heldOut),
    row('all', r.all),
    '',
    `shipped rule: ${rule(DUPLICATE_RULE)}${r.shippedIsTuned ? ' (as tuned)' : `; tuned on the tune half: ${rule(r.tuned)}`}; ${r.msPerCheck} ms per check (search, reads, comparison).`,
    `wrong merges: ${r.falseMerges.map((m) => `${m.id} → ${m.into} (${m.score})`).join('; ') || 'none'}`,
    `missed duplicates: ${r.misses.map((m) => `${m.id} (best ${m.best ?? 'none'}, ${m.score})`).join('; ') || 'none'}`,
    ...(r.problems.length > 0 ? [`label problems (${r.problems.length}): ${r.problems.slice(0, 10).join('; ')}`] : []),
  ].join('\n');
}

// Run as a script (`node dist/bench/duplicate-eval.js [--json]`): measures and prints.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await measureDuplicates();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else console.log(`${formatDuplicates(result)}\n\nraw: ${JSON.stringify(result)}`);
}
