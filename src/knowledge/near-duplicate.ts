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

/** The decision's settings: measured and chosen on the labelled set (docs/knowledge-loop.md). */
export interface DuplicateRule {
  /** An entry is the same lesson as a note when its score against it reaches this. */
  threshold: number;
  /** A sentence of the entry counts as new when it has at least this many content words… */
  newSentenceTerms: number;
  /** …and the note holds less than this share of them (weighted). */
  newSentenceShare: number;
}

export const DUPLICATE_RULE: DuplicateRule = { threshold: 0.48, newSentenceTerms: 7, newSentenceShare: 0.3 };

/** The most sentences of an entry that are weighed one by one. */
const MAX_SENTENCES = 60;

export interface Candidate {
  path: string;
  title: string;
  body: string;
}

export interface Comparison {
  path: string;
  /** 0–1: how much of what the entry says the note says too (weighted containment of its terms). */
  score: number;
  /** The entry's sentences the note does not hold: what an append adds. */
  newSentences: string[];
}

/**
 * The entry against each candidate, best first. Weights come from this set of texts only, so the
 * same entry may score differently against the same note among other candidates: what counts is
 * what the note shares with the entry that the other notes on the topic do not.
 */
export function compare(entry: { title: string; body: string }, candidates: readonly Candidate[], rule: DuplicateRule = DUPLICATE_RULE): Comparison[] {
  const mine = profile(entry.title, entry.body);
  const theirs = candidates.map((c) => profile(c.title, c.body));
  const weight = termWeights([mine, ...theirs]);
  const units = sentences(entry.body)
    .map((text) => ({ text, terms: stems(text) }))
    .filter((unit) => unit.terms.size >= rule.newSentenceTerms);
  return candidates
    .map((candidate, i) => {
      const note = theirs[i]!;
      return {
        path: candidate.path,
        score: containment(mine.terms, note.terms, weight, mine.title),
        newSentences: units.filter((unit) => containment(unit.terms, note.terms, weight) < rule.newSentenceShare).map((unit) => unit.text),
      };
    })
    .sort((a, b) => b.score - a.score);
}

/** The weighted share of `terms` that `note` holds; title terms (when given) count twice. */
function containment(terms: Set<string>, note: Set<string>, weight: (term: string) => number, title?: Set<string>): number {
  let total = 0;
  let shared = 0;
  for (const term of terms) {
    const w = weight(term) * (title?.has(term) ? 2 : 1);
    total += w;
    if (note.has(term)) shared += w;
  }
  return total === 0 ? 0 : shared / total;
}

/**
 * An entry's body as sentences: prose split at sentence ends and line breaks, a fenced code block
 * kept whole, section headings left out (they are the format's, not the entry's).
 */
export function sentences(body: string): string[] {
  const out: string[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length && out.length < MAX_SENTENCES; i++) {
    const line = lines[i]!;
    const fence = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      const end = lines.findIndex((l, j) => j > i && l.trim().startsWith(fence));
      const stop = end === -1 ? lines.length : end;
      out.push(lines.slice(i, stop + 1).join('\n'));
      i = stop;
      continue;
    }
    if (/^\s{0,3}#/.test(line)) continue;
    for (const part of line.split(/(?<=[.!?;:])\s+/)) if (part.trim()) out.push(part.trim());
  }
  return out.slice(0, MAX_SENTENCES);
}
