/**
 * The notes whose frontmatter does not parse, as the index last read them: a bounded list the web
 * page shows (they are indexed by their body only, and otherwise only the service log says so).
 * The index keeps each note's problem (search-index.ts), so the list outlives a restart: it is
 * filled from the index when the index has loaded, then kept up to date by the index's own reads (a
 * note is read when it changes, and every note when the index is built); a note fixed or removed
 * leaves the list at its next read.
 */
export interface MalformedNote {
  path: string;
  /** Why the frontmatter was not used (frontmatter.ts's words). */
  problem: string;
  /** When the index read it so (ISO 8601). */
  seen: string;
}

/** Notes kept in memory at most; past this the oldest entries are let go here (the index still counts them). */
export const MALFORMED_KEPT = 1_000;

export class MalformedNotes {
  // A Map keeps insertion order: the first key is the oldest entry.
  private readonly notes = new Map<string, MalformedNote>();
  /** How many the index holds, once it said so (`load`, `counted`). */
  private indexed: number | null = null;

  constructor(private readonly max = MALFORMED_KEPT) {}

  /** Starts again from what the index holds: its newest notes (newest first) and their true count. */
  load(newestFirst: MalformedNote[], total: number): void {
    this.notes.clear();
    for (const note of newestFirst.slice(0, this.max).reverse()) this.notes.set(note.path, note);
    this.indexed = total;
  }

  /** Records what the index read of a note: a problem puts it on the list, none takes it off. */
  seen(path: string, problem: string | undefined, now = new Date()): void {
    this.notes.delete(path);
    if (problem === undefined) return;
    this.notes.set(path, { path, problem, seen: now.toISOString() });
    if (this.notes.size > this.max) {
      const oldest = this.notes.keys().next().value;
      if (oldest !== undefined) this.notes.delete(oldest);
    }
  }

  removed(path: string): void {
    this.notes.delete(path);
  }

  /** The index's count of notes that do not parse, after a change. */
  counted(total: number): void {
    this.indexed = total;
  }

  /** Newest first, at most `limit`. */
  list(limit = 100): MalformedNote[] {
    return [...this.notes.values()].reverse().slice(0, limit);
  }

  /** Entries kept in memory (at most the bound). */
  get size(): number {
    return this.notes.size;
  }

  /** Every note that does not parse, as the index counts them (those kept here until it said). */
  get total(): number {
    return Math.max(this.indexed ?? 0, this.notes.size);
  }
}
