/**
 * Turns free text — a keyword or two, or a whole prompt — into the terms worth searching for.
 * Prompt-length queries are mostly common words; searching for them costs time (long postings
 * lists) and ranks nothing, so they are dropped before the index sees the query.
 *
 * Shared by both sides of the brain contract: the search index turns a query into these terms, and
 * the MCP server uses the same rule to pick the few words of a prompt worth sending as a query.
 */

// English function words plus the filler words that prompts to a coding assistant are made of.
const STOP_WORDS = new Set(
  `a about above after again against all also am an and any are aren't as at be because been before being
  below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
  each either etc even ever every few for from further get gets getting got had hadn't has hasn't have haven't
  having he her here hers herself him himself his how however i if in into is isn't it it's its itself just
  let like made make makes many may me might more most much must my myself need needs no nor not now of off
  on once one only or other ought our ours ourselves out over own please same shall she should shouldn't so
  some such than that that's the their theirs them themselves then there there's these they this those
  through to too try under until up upon us use used uses using very via want wants was wasn't way we were
  weren't what what's when where which while who whom whose why will with within without won't would
  wouldn't yes yet you your yours yourself yourselves`.split(/\s+/),
);

/** The most terms a query is reduced to; later terms of a very long prompt add little but cost. */
export const MAX_QUERY_TERMS = 24;

/**
 * The terms of a query the search index chooses among: it keeps the most selective of them (by
 * document frequency), so a long prompt's telling words count wherever they appear in it.
 */
export const CANDIDATE_QUERY_TERMS = 64;

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Lowercased, de-duplicated content words of `text`, in order of first appearance. */
export function queryTerms(text: string, max = MAX_QUERY_TERMS): string[] {
  const words = (text.normalize('NFKC').toLowerCase().match(WORD) ?? []).map((w) => w.replace('’', "'"));
  const stripSuffix = (w: string) => w.replace(/'.*$/, '');
  const content = words
    .filter((w) => !STOP_WORDS.has(w))
    .map(stripSuffix)
    .filter((w) => w.length > 1 || /\p{N}/u.test(w));
  // A query made only of common words ("how to do it") still deserves an answer.
  const terms = content.length > 0 ? content : words.map(stripSuffix).filter((w) => w.length > 0);
  return [...new Set(terms)].slice(0, max);
}

