/**
 * Ranking quality where the bounds on a query's cost bind: the labelled set (test/fixtures/search-eval/)
 * hidden among the synthetic notes of a large brain. On the set alone (321 notes) no term reaches
 * SEARCH_LIMITS, so its figures cannot tell one bound from another; among 10k or 100k notes of the
 * `common` corpus, its queries' words ("test", "error", "timeout", "cache"…) are in thousands of notes
 * and the bounds decide what is scored. The synthetic notes are graded 0 (distractors); the labelled
 * ones are spread evenly through the index's note ids, so the scored window (the newest notes holding
 * a term) neither favours nor hides them.
 *
 *   node dist/bench/search-scale-quality.js [--sizes 10000,100000] [--corpora common,zipf]
 *     [--limits 1000000000/1000000000,20000/5000,10000/2500]
 *
 * nDCG@5 and recall@5 as bench/search-eval.ts computes them: every query as typed, and the prompt
 * queries as a consulting call searches with them (`firstTerms`). The index is built once per size and
 * corpus, in the temp folder (a 100k one takes a minute or two).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { toIndexed } from '../ingestion/note-files.js';
import { SearchIndex, type IndexedNote, type SearchLimits } from '../ingestion/search-index.js';
import { firstTerms } from '../src/consult/knowledge.js';
import { CORPORA, makeNote, Vocabulary, type Corpus } from './corpus.js';
import { CUTOFF, evalSetDir, listNotes, loadQueries, ndcgAt, recallAt } from './search-eval.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const sizes = option('sizes', '10000,100000').split(',').map(Number);
const corpora = option('corpora', 'common,zipf').split(',') as Corpus[];
if (corpora.some((c) => !CORPORA.includes(c))) throw new Error(`corpora are ${CORPORA.join(', ')}`);
const limitsList: SearchLimits[] = option('limits', '1000000000/1000000000,20000/5000,10000/2500').split(',').map((entry) => {
  const [maxPostings, scoredWindow, terms, commonShare] = entry.split('/').map(Number);
  return { maxPostings: maxPostings ?? 0, scoredWindow: scoredWindow ?? 0, ...(terms ? { terms } : {}), ...(commonShare ? { commonShare } : {}) };
});
const logger = pino({ level: 'silent' });
const stamp = { size: 0, mtimeMs: 0, ino: 0 };

/** The synthetic brain with the labelled notes spread through it, indexed once (SearchIndex directly, no files). */
async function mixedIndex(setDir: string, notes: number, corpus: Corpus, vocab: Vocabulary): Promise<string> {
  const folder = join(tmpdir(), 'supervisor-search-cost');
  await mkdir(folder, { recursive: true });
  const file = join(folder, `mixed-${corpus}-${notes}.sqlite`);
  if (existsSync(file)) return file;
  const labelled: IndexedNote[] = [];
  for (const path of await listNotes(setDir)) {
    labelled.push(toIndexed(path, await readFile(join(setDir, 'notes', path), 'utf8'), path, stamp, logger));
  }
  const building = `${file}.building`;
  await rm(building, { force: true });
  const { index } = SearchIndex.open(building);
  let batch: IndexedNote[] = [];
  let next = 0;
  for (let i = 0; i < notes; i++) {
    // Labelled note j goes after synthetic note (j + 0.5) · notes / labelled: evenly through the ids.
    while (next < labelled.length && (next + 0.5) * (notes / labelled.length) <= i) batch.push(labelled[next++] as IndexedNote);
    const note = makeNote(i, vocab, 1, corpus);
    batch.push(toIndexed(note.path, note.text, `synthetic-${i}`, stamp, logger));
    if (batch.length >= 2000) {
      index.apply(batch.map((n) => ({ note: n })));
      batch = [];
    }
  }
  batch.push(...labelled.slice(next));
  index.apply(batch.map((n) => ({ note: n })));
  index.close();
  await rename(building, file);
  return file;
}

async function main(): Promise<void> {
  const setDir = evalSetDir();
  const queries = await loadQueries(setDir);
  const vocab = new Vocabulary();
  const f = (n: number) => n.toFixed(3);
  console.log(`| notes | corpus | limits | keyword nDCG@5 / recall@5 | prompt | prompt as a consulting call | overall | prompt p50 ms |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const notes of sizes) {
    for (const corpus of corpora) {
      const file = await mixedIndex(setDir, notes, corpus, vocab);
      for (const limits of limitsList) {
        const index = SearchIndex.openReader(file, limits);
        const scores: Record<'keyword' | 'prompt' | 'consulting', Array<{ ndcg: number; recall: number }>> = { keyword: [], prompt: [], consulting: [] };
        const promptMs: number[] = [];
        for (const q of queries) {
          const modes: Array<['keyword' | 'prompt' | 'consulting', string]> =
            q.kind === 'prompt' ? [['prompt', q.query], ['consulting', firstTerms(q.query)]] : [['keyword', q.query]];
          for (const [mode, searched] of modes) {
            const started = performance.now();
            const ranked = searched ? index.search({ query: searched, limit: CUTOFF }).map((hit) => hit.path) : [];
            if (mode === 'prompt') promptMs.push(performance.now() - started);
            scores[mode].push({ ndcg: ndcgAt(ranked, q.relevant), recall: recallAt(ranked, q.relevant) });
          }
        }
        index.close();
        const mean = (list: Array<{ ndcg: number; recall: number }>) =>
          `${f(list.reduce((s, x) => s + x.ndcg, 0) / list.length)} / ${f(list.reduce((s, x) => s + x.recall, 0) / list.length)}`;
        const p50 = [...promptMs].sort((a, b) => a - b)[Math.floor(promptMs.length / 2)] ?? NaN;
        console.log(
          `| ${notes} | ${corpus} | ${[limits.maxPostings, limits.scoredWindow, ...(limits.terms || limits.commonShare ? [limits.terms ?? 0] : []), ...(limits.commonShare ? [limits.commonShare] : [])].join('/')} | ${mean(scores.keyword)} | ${mean(scores.prompt)} | ${mean(scores.consulting)} | ${mean([...scores.keyword, ...scores.prompt])} | ${p50.toFixed(2)} |`,
        );
      }
    }
  }
}

await main();
