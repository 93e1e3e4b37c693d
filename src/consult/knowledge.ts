/**
 * The brain's notes for a consultation, found with the call's own words. Degraded, never failing: a
 * brain that does not answer costs the call its knowledge, not its answer.
 */
import { CANDIDATE_QUERY_TERMS, queryTerms } from '../../common/query-terms.js';
import type { SearchHit } from '../../common/brain-contract.js';
import { BrainUnavailable } from '../brain/client.js';
import type { Deps } from '../deps.js';

/**
 * The content words sent: as many as the index chooses among. It keeps the most selective of them
 * itself (by document frequency), so a telling word late in the text still counts; keeping only the
 * first 12 words cost 0.15 nDCG@5 on the labelled set (docs/search.md).
 */
const KNOWLEDGE_QUERY_TERMS = CANDIDATE_QUERY_TERMS;

/** Only the start of a long text is split into terms: it bounds the query's length and its cost. */
const KNOWLEDGE_QUERY_CHARS = 2000;

/** Notes a consultation asks for. */
const KNOWLEDGE_NOTES = 5;

export interface Knowledge {
  hits: SearchHit[];
  /** "ok", or why the call went on without the brain. */
  status: string;
}

export function firstTerms(text: string, count = KNOWLEDGE_QUERY_TERMS): string {
  return queryTerms(text.slice(0, KNOWLEDGE_QUERY_CHARS), count).join(' ');
}

export async function findKnowledge(deps: Pick<Deps, 'brain' | 'logger'>, text: string, signal?: AbortSignal): Promise<Knowledge> {
  const terms = firstTerms(text, KNOWLEDGE_QUERY_TERMS);
  // Nothing to search with (only common words or symbols): the brain would refuse an empty query.
  if (!terms) return { hits: [], status: 'ok' };
  try {
    return { hits: await deps.brain.search({ query: terms, limit: KNOWLEDGE_NOTES }, signal), status: 'ok' };
  } catch (error) {
    if (!(error instanceof BrainUnavailable)) deps.logger.error({ err: error }, 'brain search failed');
    return { hits: [], status: `unavailable (${(error as Error).message}); answered without knowledge` };
  }
}
