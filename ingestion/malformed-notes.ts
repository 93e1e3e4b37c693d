/**
 * The notes whose frontmatter does not parse, as the index last read them: a bounded list the web
 * page shows (they are indexed by their body only, and otherwise only the service log says so).
 * Kept from the index's own reads, so it costs nothing extra: a note is read when it changes and,
 * once, when the index is built; a note fixed or removed leaves the list at its next read.
 */
export interface MalformedNote {
  path: string;
  /** Why the frontmatter was not used (frontmatter.ts's words). */
  problem: string;
  /** When the index read it so (ISO 8601). */
  seen: string;
}

/** Notes kept at most; past this the oldest entries are dropped (and `dropped` counts them). */
export const MALFORMED_KEPT = 1_000;

export class MalformedNotes {
  // A Map keeps insertion order: the first key is the oldest entry.
  private readonly notes = new Map<string, MalformedNote>();
  private droppedCount = 0;

  constructor(private readonly max = MALFORMED_KEPT) {}

  /** Records what the index read of a note: a problem puts it on the list, none takes it off. */
  seen(path: string, problem: string | undefined, now = new Date()): void {
    this.notes.delete(path);
    if (problem === undefined) return;
    this.notes.set(path, { path, problem, seen: now.toISOString() });
    if (this.notes.size > this.max) {
      const oldest = this.notes.keys().next().value;
      if (oldest !== undefined) this.notes.delete(oldest);
      this.droppedCount++;
    }
  }

  removed(path: string): void {
    this.notes.delete(path);
  }

  /** Newest first, at most `limit`. */
  list(limit = 100): MalformedNote[] {
    return [...this.notes.values()].reverse().slice(0, limit);
  }

  get size(): number {
    return this.notes.size;
  }

  /** Entries dropped to keep the list bounded. */
  get dropped(): number {
    return this.droppedCount;
  }
}
