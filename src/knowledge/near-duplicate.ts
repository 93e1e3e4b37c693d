/**
 * Whether a drafted entry restates a note the brain already holds: a cheap lexical measure, no model
 * call. Both texts become sets of stemmed content words (the brain's stop words out, a light English
 * suffix stripper), bounded to their first PROFILE_CHARS characters; the entry's terms found in the
 * note are weighted by how telling each is among the candidates the search returned (a word every
 * candidate holds — "retry" when all of them are about retries — counts little, a word only the
 * entry and one note share counts much). docs/knowledge-loop.md has the measure, its threshold and
 * how they were measured on the labelled set.
 */
import { queryTerms } from '../../common/query-terms.js';

/** The most of an entry's or a note's text the measure reads: bounded work per comparison. */
export const PROFILE_CHARS = 6_000;

/** A text as the measure sees it. */
export interface TermProfile {
  /** Stems of the title's content words. */
  title: Set<string>;
  /** Stems of all content words, title included. */
  terms: Set<string>;
}

export function profile(title: string, body: string): TermProfile {
  const titleTerms = stems(title.slice(0, 500));
  const terms = stems(body.slice(0, PROFILE_CHARS));
  for (const term of titleTerms) terms.add(term);
  return { title: titleTerms, terms };
}

function stems(text: string): Set<string> {
  return new Set(queryTerms(text, Infinity).map(stem));
}

// Longest first: the first suffix that fits is stripped.
const SUFFIXES: Array<[string, string]> = [
  ['ational', 'ate'],
  ['ization', 'ize'],
  ['ations', 'ate'],
  ['ation', 'ate'],
  ['ements', ''],
  ['ement', ''],
  ['ments', ''],
  ['ment', ''],
  ['ness', ''],
  ['ingly', ''],
  ['edly', ''],
  ['ings', ''],
  ['ing', ''],
  ['sses', 'ss'],
  ['ies', 'y'],
  ['ied', 'y'],
  ['ers', ''],
  ['er', ''],
  ['ed', ''],
  ['ly', ''],
  ['es', ''],
  ['s', ''],
];

/**
 * A light suffix stripper (in the spirit of Porter's first steps): enough that "retries",
 * "retried" and "retry", or "caches", "caching" and "cache", meet; words with digits and short
 * words are left as they are.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word) || word.endsWith('ss')) return word;
  let w = word;
  for (const [suffix, replacement] of SUFFIXES) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3) {
      w = w.slice(0, w.length - suffix.length) + replacement;
      break;
    }
  }
  // "stopped" → "stopp" → "stop"; "cache" and "caches" → "cach".
  if (/([^aeiouls])\1$/.test(w)) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/**
 * Weights of terms by how telling they are among `profiles` (the entry and its candidates): an
 * inverse document frequency over that small set, so words shared by all of them weigh least.
 */
export function termWeights(profiles: readonly TermProfile[]): (term: string) => number {
  const df = new Map<string, number>();
  for (const p of profiles) for (const term of p.terms) df.set(term, (df.get(term) ?? 0) + 1);
  const n = profiles.length;
  return (term) => Math.log(1 + n / (df.get(term) ?? 1));
}

export interface Similarity {
  /** 0–1: how much of what the entry says the note says too (weighted containment). */
  score: number;
  /** The share of the entry's weighted terms the note lacks: what an append would add. */
  novelty: number;
}

/** How far `note` already says what `entry` says. */
export function similarity(entry: TermProfile, note: TermProfile, weight: (term: string) => number): Similarity {
  let total = 0;
  let shared = 0;
  for (const term of entry.terms) {
    const w = weight(term) * (entry.title.has(term) ? 2 : 1);
    total += w;
    if (note.terms.has(term)) shared += w;
  }
  const score = total === 0 ? 0 : shared / total;
  return { score, novelty: 1 - score };
}
