/**
 * Ranking quality on the labelled set in test/fixtures/search-eval/ (docs/search.md, "Ranking quality:
 * the labelled set"): its notes become a real brain's knowledge/ folder, every query runs through the
 * brain's own search, and each answer's top 5 is scored against the labels with nDCG@5 and recall@5.
 * Shared by bench/search-quality.ts (`npm run bench`) and test/search-quality.test.ts (the floors).
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { Brain } from '../ingestion/index.js';
import { SearchIndex, type SearchLimits } from '../ingestion/search-index.js';
import { firstTerms } from '../src/consult/knowledge.js';

/** Results scored per query: what a consulting call reads (it asks for 5) and brain_query's default. */
export const CUTOFF = 5;

export type QueryKind = 'keyword' | 'prompt';
/** How a query reaches the search: as typed, or as a consulting call builds its knowledge query from a prompt. */
export type Mode = 'keyword' | 'prompt' | 'consulting';

export interface LabelledQuery {
  id: string;
  kind: QueryKind;
  query: string;
  /** Note path (`<domain>/<slug>.md`) → grade: 2 answers the query, 1 relevant but partial. */
  relevant: Record<string, number>;
  /** The queries file it came from, e.g. "queries-a.json". */
  file: string;
}

export interface QueryScore {
  id: string;
  mode: Mode;
  /** The text the search received. */
  searched: string;
  ndcg: number;
  recall: number;
  /** The top results' paths, each with its grade (0 when unlabelled). */
  top: Array<{ path: string; grade: number }>;
  /** The grade-2 notes the top 5 missed. */
  missed: string[];
}

export interface Means {
  queries: number;
  ndcg: number;
  recall: number;
}

export interface QualityResult {
  notes: number;
  queries: number;
  files: string[];
  /** keyword and prompt: the query as typed; consulting: the prompt queries as a consulting call searches with them. */
  keyword: Means;
  prompt: Means;
  consulting: Means;
  /** Every query once, as typed (keyword and prompt). */
  overall: Means;
  /** Per queries file (one per author of the set), every query as typed. */
  byFile: Record<string, Means>;
  /** The five queries with the lowest nDCG@5 in any mode, lowest first. */
  worst: Array<QueryScore & { query: string }>;
  scores: QueryScore[];
  /** Labels naming a note the set does not hold, or queries without a grade-2 note: each makes the figures lie. */
  problems: string[];
  loadMs: number;
  searchMs: number;
}

/** The folder holding the set, found from this file whether it runs from bench/ (tsx, vitest) or dist/bench/. */
export function evalSetDir(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'fixtures', 'search-eval');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('test/fixtures/search-eval/ not found above ' + import.meta.dirname);
  }
}

/** Every `<domain>/<slug>.md` under notes/, with forward slashes as the brain reports paths. */
export async function listNotes(setDir: string): Promise<string[]> {
  const notes = join(setDir, 'notes');
  const entries = await readdir(notes, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => join(e.parentPath, e.name).slice(notes.length + 1).split('\\').join('/'))
    .sort();
}

/** Every queries-*.json of the set, in file order. */
export async function loadQueries(setDir: string): Promise<LabelledQuery[]> {
  const files = (await readdir(setDir)).filter((name) => /^queries-.*\.json$/.test(name)).sort();
  const queries: LabelledQuery[] = [];
  for (const file of files) {
    const list = JSON.parse(await readFile(join(setDir, file), 'utf8')) as Array<Omit<LabelledQuery, 'file'>>;
    for (const q of list) queries.push({ ...q, file });
  }
  return queries;
}

/** What in the labels cannot be measured honestly: unknown notes, bad grades, no grade-2 note, duplicate ids. */
export function labelProblems(queries: LabelledQuery[], notes: string[]): string[] {
  const known = new Set(notes);
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const q of queries) {
    if (ids.has(q.id)) problems.push(`${q.file} ${q.id}: duplicate id`);
    ids.add(q.id);
    if (q.kind !== 'keyword' && q.kind !== 'prompt') problems.push(`${q.file} ${q.id}: kind ${String(q.kind)}`);
    if (typeof q.query !== 'string' || q.query.trim() === '') problems.push(`${q.file} ${q.id}: no query text`);
    const grades = Object.entries(q.relevant ?? {});
    if (!grades.some(([, g]) => g === 2)) problems.push(`${q.file} ${q.id}: no grade-2 note`);
    for (const [path, grade] of grades) {
      if (!known.has(path)) problems.push(`${q.file} ${q.id}: labels ${path}, which the set does not hold`);
      if (grade !== 1 && grade !== 2) problems.push(`${q.file} ${q.id}: grade ${grade} for ${path}`);
    }
  }
  return problems;
}

/**
 * nDCG@k with linear graded gains (grade 2 or 1, unlabelled 0) and the log2(rank + 1) discount; the
 * ideal ranking is the labels sorted by grade. 1 means the best labelled notes fill the top in order.
 */
export function ndcgAt(ranked: string[], relevant: Record<string, number>, k = CUTOFF): number {
  const dcg = (gains: number[]) => gains.slice(0, k).reduce((sum, gain, i) => sum + gain / Math.log2(i + 2), 0);
  const ideal = dcg(Object.values(relevant).sort((a, b) => b - a));
  return ideal === 0 ? 0 : dcg(ranked.map((path) => relevant[path] ?? 0)) / ideal;
}

/** recall@k: the relevant (grade ≥ 1) notes in the top k, over min(k, how many are relevant). */
export function recallAt(ranked: string[], relevant: Record<string, number>, k = CUTOFF): number {
  const wanted = Object.keys(relevant).filter((path) => (relevant[path] ?? 0) >= 1);
  if (wanted.length === 0) return 0;
  const found = ranked.slice(0, k).filter((path) => (relevant[path] ?? 0) >= 1).length;
  return found / Math.min(k, wanted.length);
}

function means(scores: QueryScore[]): Means {
  const mean = (values: number[]) => (values.length === 0 ? NaN : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000);
  return { queries: scores.length, ndcg: mean(scores.map((s) => s.ndcg)), recall: mean(scores.map((s) => s.recall)) };
}

/** Opens a brain on a temporary copy of the set's notes (the brain writes its .index/ beside knowledge/), loaded. */
async function withBrain<T>(setDir: string, use: (brain: Brain, loadMs: number, dir: string) => T | Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'supervisor-search-eval-'));
  try {
    await mkdir(join(dir, 'knowledge'));
    await cp(join(setDir, 'notes'), join(dir, 'knowledge'), { recursive: true });
    const started = performance.now();
    const brain = await Brain.open(dir, pino({ level: 'silent' }));
    try {
      await brain.reconcile();
      return await use(brain, Math.round(performance.now() - started), dir);
    } finally {
      await brain.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a search receives for a query in each mode: the text as typed, or a consulting call's knowledge query. */
function searchesFor(q: LabelledQuery): Array<[Mode, string]> {
  // findKnowledge sends nothing when the prompt has no term left: no knowledge, scored 0.
  return q.kind === 'prompt' ? [['prompt', q.query], ['consulting', firstTerms(q.query)]] : [['keyword', q.query]];
}

/**
 * Runs every query with limit 5 on a brain of the set's notes — as typed, and each prompt query also
 * as a consulting call's knowledge query (src/consult/knowledge.ts, `firstTerms`) — and scores the answers.
 * `limits` (bench/search-cost.ts only): the same brain's index searched in this thread with other bounds
 * than SEARCH_LIMITS, to measure what a bound costs in answers before it is chosen.
 */
export async function measureQuality(setDir = evalSetDir(), options: { limits?: SearchLimits } = {}): Promise<QualityResult> {
  const notes = await listNotes(setDir);
  const queries = await loadQueries(setDir);
  const problems = labelProblems(queries, notes);
  const { scores, loadMs, searchMs } = await withBrain(setDir, async (brain, loadMs, dir) => {
    const local = options.limits && SearchIndex.openReader(join(dir, '.index', 'brain.sqlite'), options.limits);
    const search = async (query: string) => (local ? local.search({ query, limit: CUTOFF }) : await brain.search({ query, limit: CUTOFF }));
    const started = performance.now();
    const scores: QueryScore[] = [];
    for (const q of queries) {
      for (const [mode, searched] of searchesFor(q)) {
        const ranked = searched ? (await search(searched)).map((hit) => hit.path) : [];
        const missed = Object.keys(q.relevant).filter((path) => q.relevant[path] === 2 && !ranked.includes(path));
        const top = ranked.map((path) => ({ path, grade: q.relevant[path] ?? 0 }));
        scores.push({ id: q.id, mode, searched, ndcg: ndcgAt(ranked, q.relevant), recall: recallAt(ranked, q.relevant), top, missed });
      }
    }
    local?.close();
    return { scores, loadMs, searchMs: Math.round(performance.now() - started) };
  });

  const byMode = (mode: Mode) => scores.filter((s) => s.mode === mode);
  const typed = scores.filter((s) => s.mode !== 'consulting');
  const files = [...new Set(queries.map((q) => q.file))];
  const text = new Map(queries.map((q) => [q.id, q.query]));
  const fileOf = new Map(queries.map((q) => [q.id, q.file]));
  // Five distinct queries, each with the way it was searched that scored lowest.
  const worst = [...scores]
    .sort((a, b) => a.ndcg - b.ndcg || a.recall - b.recall || a.id.localeCompare(b.id))
    .filter((s, i, sorted) => sorted.findIndex((t) => t.id === s.id) === i)
    .slice(0, 5)
    .map((s) => ({ ...s, query: text.get(s.id) ?? '' }));
  return {
    notes: notes.length,
    queries: queries.length,
    files,
    keyword: means(byMode('keyword')),
    prompt: means(byMode('prompt')),
    consulting: means(byMode('consulting')),
    overall: means(typed),
    byFile: Object.fromEntries(files.map((file) => [file, means(typed.filter((s) => fileOf.get(s.id) === file))])),
    worst,
    scores,
    problems,
    loadMs,
    searchMs,
  };
}

/**
 * The pool to judge when labels are completed (as TREC pools runs): per query, the notes its searches
 * rank in the top `depth` that no label grades. Unjudged notes count as irrelevant, so a ranking that
 * brings up a relevant but unlabelled note looks worse than it is; judging this pool bounds that.
 */
export async function unjudgedPool(setDir = evalSetDir(), depth = 10): Promise<Array<{ id: string; query: string; unjudged: Array<{ path: string; title: string }> }>> {
  const queries = await loadQueries(setDir);
  return withBrain(setDir, (brain) =>
    Promise.all(queries.map(async (q) => {
      const unjudged = new Map<string, string>();
      for (const [, searched] of searchesFor(q)) {
        if (!searched) continue;
        for (const hit of await brain.search({ query: searched, limit: depth })) if (!(hit.path in q.relevant)) unjudged.set(hit.path, hit.title);
      }
      return { id: q.id, query: q.query, unjudged: [...unjudged].map(([path, title]) => ({ path, title })) };
    })),
  );
}

/** A result as `npm run bench` reports it: one nDCG@5 per query (`id`, or `id@consulting`) instead of the detail. */
export type QualitySummary = Omit<QualityResult, 'scores'> & { ndcgByQuery: Record<string, number> };

export function summarize(r: QualityResult): QualitySummary {
  const { scores, ...rest } = r;
  const ndcgByQuery = Object.fromEntries(scores.map((s) => [s.mode === 'consulting' ? `${s.id}@consulting` : s.id, Math.round(s.ndcg * 1000) / 1000]));
  return { ...rest, ndcgByQuery };
}

/** The markdown tables `npm run bench` prints for a result. */
export function formatQuality(r: Omit<QualityResult, 'scores'>): string {
  const f = (n: number) => (Number.isNaN(n) ? '—' : n.toFixed(3));
  const cut = (s: string, n: number) => {
    const line = s.replace(/\s+/g, ' ').trim();
    return (line.length > n ? `${line.slice(0, n - 1)}…` : line).replace(/\|/g, '\\|');
  };
  const lines = [
    `| ranking quality, labelled set (${r.notes} notes, ${r.queries} queries, top ${CUTOFF}) | queries | nDCG@${CUTOFF} | recall@${CUTOFF} |`,
    '|---|---|---|---|',
    `| keyword queries, as typed | ${r.keyword.queries} | ${f(r.keyword.ndcg)} | ${f(r.keyword.recall)} |`,
    `| prompt queries, as typed (the service's search) | ${r.prompt.queries} | ${f(r.prompt.ndcg)} | ${f(r.prompt.recall)} |`,
    `| prompt queries as a consulting call searches (its first 64 terms) | ${r.consulting.queries} | ${f(r.consulting.ndcg)} | ${f(r.consulting.recall)} |`,
    `| overall (keyword + prompt, as typed) | ${r.overall.queries} | ${f(r.overall.ndcg)} | ${f(r.overall.recall)} |`,
    '',
    `| worst ${r.worst.length} by nDCG@${CUTOFF} | searched as | nDCG | top results (grade) | grade-2 notes missed |`,
    '|---|---|---|---|---|',
    ...r.worst.map(
      (w) =>
        `| ${w.id}: ${cut(w.query, 70)} | ${w.mode} | ${f(w.ndcg)} | ${w.top.map((t) => `${t.path} (${t.grade})`).join(', ') || 'none'} | ${w.missed.join(', ') || '—'} |`,
    ),
  ];
  if (r.problems.length > 0) lines.push('', `label problems (${r.problems.length}): ${r.problems.slice(0, 10).join('; ')}`);
  return lines.join('\n');
}
