/**
 * The baseline every index figure is compared with: the original service's way of answering a
 * query, listing and reading every file each time. Shared by the in-process bench (brain-bench.ts)
 * and the one over HTTP (load-bench.ts), so both compare against the same scan.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryTerms } from '../common/query-terms.js';

/**
 * Lists and reads every file under `knowledge`, and scores each by the query words it contains
 * (Σ(1 + ln count) × coverage², as a grep baseline does); the paths of the best five.
 */
export function scanSearch(knowledge: string, text: string): string[] {
  const terms = queryTerms(text);
  const scored: Array<[string, number]> = [];
  // Synchronous reads: the fastest a scan can be in Node, so the comparison flatters the scan.
  for (const entry of readdirSync(knowledge, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.md')) continue;
    const path = join(entry.parentPath, entry.name);
    const content = readFileSync(path, 'utf8').toLowerCase();
    let sum = 0;
    let matched = 0;
    for (const term of terms) {
      let count = 0;
      for (let at = content.indexOf(term); at !== -1; at = content.indexOf(term, at + term.length)) count++;
      if (count > 0) {
        matched++;
        sum += 1 + Math.log(count);
      }
    }
    if (matched > 0) scored.push([path, sum * (matched / terms.length) ** 2]);
  }
  return scored.sort((a, b) => b[1] - a[1]).slice(0, 5).map(([path]) => path);
}

/** Scanning costs seconds per query at 100k: a handful of queries gives a stable median. */
export function scanQueryCount(notes: number): number {
  return notes >= 100_000 ? 3 : notes >= 10_000 ? 7 : 21;
}
