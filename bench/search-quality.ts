/**
 * Ranking quality on the labelled set (test/fixtures/search-eval/): nDCG@5 and recall@5 of keyword
 * queries, prompt queries, and prompt queries as a consulting call searches with them. Prints the
 * tables and a `raw:` line; with `--json`, only one JSON line, a `QualitySummary` (for bench/run.ts's
 * `measure`, which prints the tables with `formatQuality` from bench/search-eval.ts). With
 * `--unjudged`, lists instead per query the unlabelled notes its searches rank in the top 10: the
 * pool to judge when labels are completed.
 * `node dist/bench/search-quality.js [set folder] [--json | --unjudged]` runs it alone.
 */
import { formatQuality, measureQuality, summarize, unjudgedPool } from './search-eval.js';

const args = process.argv.slice(2);
const setDir = args.find((arg) => !arg.startsWith('--'));

if (args.includes('--unjudged')) {
  for (const q of await unjudgedPool(setDir)) {
    console.log(`${q.id}: ${q.query.replace(/\s+/g, ' ')}`);
    for (const note of q.unjudged) console.log(`  ${note.path}  (${note.title})`);
  }
} else {
  const result = await measureQuality(setDir);
  if (result.problems.length > 0) process.stderr.write(`label problems in the set:\n  ${result.problems.join('\n  ')}\n`);
  const summary = summarize(result);
  if (args.includes('--json')) console.log(JSON.stringify(summary));
  else console.log(`${formatQuality(summary)}\n\nraw: ${JSON.stringify(summary)}`);
}
