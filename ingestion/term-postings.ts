/**
 * Ranking a query from each term's scored postings, kept between searches: the bm25 that FTS5
 * computes for one term over its notes (its IDF recounted over every posting, each posting scored) is
 * the most of a search's cost, and the same terms come back query after query — a session's calls
 * share their words, and a brain's common words are in most prompts. A term's scores hold until the
 * index changes (the note count, the average length and the term's own frequency all move bm25), so
 * the whole store is emptied then. Measured: docs/search.md, "Scored postings kept between searches".
 */

/** One term's postings as its own bm25 statement scored them: note ids and FTS5 ranks (negative bm25). */
export interface TermPostings {
  ids: Int32Array;
  ranks: Float64Array;
}

/**
 * Postings kept at most (12 bytes each: ~24 MB a reader thread); the least recently used terms go
 * first. A term holds at most the scored window (5,000), so hundreds of terms fit even then.
 */
export const KEPT_POSTINGS = 2_000_000;

/** Each term's scored postings, the least recently used dropped past `capacity` postings in all. */
export class TermPostingsStore {
  private readonly terms = new Map<string, TermPostings>();
  private size = 0;

  constructor(private readonly capacity = KEPT_POSTINGS) {}

  get(term: string): TermPostings | undefined {
    const postings = this.terms.get(term);
    if (postings) {
      // Map order is insertion order: moved to the end, it is the most recently used.
      this.terms.delete(term);
      this.terms.set(term, postings);
    }
    return postings;
  }

  set(term: string, postings: TermPostings): void {
    if (postings.ids.length > this.capacity) return;
    const known = this.terms.get(term);
    if (known) {
      this.terms.delete(term);
      this.size -= known.ids.length;
    }
    for (const [oldest, dropped] of this.terms) {
      if (this.size + postings.ids.length <= this.capacity) break;
      this.terms.delete(oldest);
      this.size -= dropped.ids.length;
    }
    this.terms.set(term, postings);
    this.size += postings.ids.length;
  }

  clear(): void {
    this.terms.clear();
    this.size = 0;
  }

  /** Postings kept now (for tests and benches). */
  get postings(): number {
    return this.size;
  }
}

/** A note and its score: bm25 summed over the terms it holds, times the share of the terms it holds. */
export interface RankedNote {
  id: number;
  score: number;
}

/**
 * Sums the terms' ranks per note in arrays indexed by note id, which grow to the largest id seen and
 * are kept for the next query: a posting costs an add, not a hash lookup.
 */
export class ScoreBoard {
  private sums = new Float64Array(1024);
  private counts = new Int32Array(1024);
  private readonly touched: number[] = [];

  add({ ids, ranks }: TermPostings): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id >= this.counts.length) this.grow(id);
      if (this.counts[id] === 0) this.touched.push(id);
      (this.sums[id] as number) += ranks[i] as number;
      (this.counts[id] as number)++;
    }
  }

  /**
   * The `limit` best notes and their scores, as SearchIndex's statement ranked them: −Σrank × matched /
   * `terms` (Lucene's coordination factor), best first, the newer (higher id) first among equals.
   * Empties the board for the next query.
   */
  best(limit: number, terms: number): RankedNote[] {
    const best: RankedNote[] = [];
    const before = (a: RankedNote, b: RankedNote) => a.score > b.score || (a.score === b.score && a.id > b.id);
    for (const id of this.touched) {
      const note = { id, score: (-(this.sums[id] as number) * (this.counts[id] as number)) / terms };
      this.sums[id] = 0;
      this.counts[id] = 0;
      if (best.length === limit) {
        if (!before(note, best[limit - 1] as RankedNote)) continue;
        best.pop();
      }
      let at = best.length;
      while (at > 0 && before(note, best[at - 1] as RankedNote)) at--;
      best.splice(at, 0, note);
    }
    this.touched.length = 0;
    return best;
  }

  private grow(id: number): void {
    let length = this.counts.length;
    while (length <= id) length *= 2;
    const sums = new Float64Array(length);
    const counts = new Int32Array(length);
    sums.set(this.sums);
    counts.set(this.counts);
    this.sums = sums;
    this.counts = counts;
  }
}
