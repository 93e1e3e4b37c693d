/**
 * The session logs of a folder as a listing: newest first, a page at a time, optionally only the ids
 * starting with a prefix. What a listing costs is bounded however many logs the folder holds: the
 * folder's names are read once per SESSION_LIST_FRESH_MS, and the logs are stat'ed (for their time)
 * only when there are at most SESSION_LIST_TIMED_MAX of them; a folder holding more is listed by
 * name, with no stat at all.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SESSION_ID_PATTERN } from '../consultation-contract.js';

/** At most this many logs are stat'ed to list them newest first; a folder holding more is listed by name. */
export const SESSION_LIST_TIMED_MAX = 5_000;
/** How long a scan of the folder serves listings (this process's own appends are seen at once). */
export const SESSION_LIST_FRESH_MS = 5_000;
/** The most a page holds. */
export const SESSION_LIST_PAGE_MAX = 1_000;
/** Stats in flight at once during a scan: libuv has 4 threads; more only queue. */
const STAT_BATCH = 32;

export interface SessionSummary {
  id: string;
  /** When the log was last written (ISO 8601); absent when the folder is listed by name. */
  modified?: string;
  /** The log's size in bytes; absent when the folder is listed by name. */
  bytes?: number;
}

export interface SessionListRequest {
  /** Only ids starting with this. */
  prefix?: string;
  /** The `next` of the page before. */
  after?: string;
  /** Default 100, at most SESSION_LIST_PAGE_MAX. */
  limit?: number;
}

export interface SessionListing {
  sessions: SessionSummary[];
  /** Where the next page starts; null on the last page. */
  next: string | null;
  /** How the whole listing is ordered: by time (newest first) or, in a folder of more than SESSION_LIST_TIMED_MAX logs, by name. */
  order: 'newest first' | 'by name';
}

/** A cursor that no listing gave (or one of another order, after the folder grew past the bound). */
export class BadSessionCursor extends Error {}

interface Timed {
  id: string;
  mtimeMs: number;
  bytes: number;
}

interface Scan {
  at: number;
  /** Every id, sorted by name. */
  ids: string[];
  /** Every log with its time, or null when there are more than SESSION_LIST_TIMED_MAX. */
  timed: Map<string, Timed> | null;
}

export class SessionDirectory {
  private scan: Scan | null = null;
  private scanning: Promise<Scan> | null = null;

  constructor(
    readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Told of each append (`added` bytes): the session shows at once, at the top, without a new scan. */
  appended(id: string, added: number): void {
    const scan = this.scan;
    if (!scan) return;
    const known = scan.timed ? scan.timed.has(id) : scan.ids[firstAbove(scan.ids, id) - 1] === id;
    // A new log changes the name order and may cross the bound: the next listing scans again.
    if (!known) this.scan = null;
    const log = scan.timed?.get(id);
    if (log) scan.timed?.set(id, { id, mtimeMs: this.now(), bytes: log.bytes + added });
  }

  async list({ prefix = '', after, limit = 100 }: SessionListRequest = {}): Promise<SessionListing> {
    const take = Math.max(1, Math.min(limit, SESSION_LIST_PAGE_MAX));
    const scan = await this.current();
    if (scan.timed) {
      const all = [...scan.timed.values()].filter((log) => log.id.startsWith(prefix)).sort(newestFirst);
      const start = after === undefined ? 0 : startAfterTimed(all, after);
      const page = all.slice(start, start + take);
      const last = page.at(-1);
      return {
        sessions: page.map((log) => ({ id: log.id, modified: new Date(log.mtimeMs).toISOString(), bytes: log.bytes })),
        next: start + take < all.length && last ? timedCursor(last) : null,
        order: 'newest first',
      };
    }
    if (after !== undefined && (after.startsWith(TIMED) || !SESSION_ID_PATTERN.test(after))) throw new BadSessionCursor(`bad session cursor "${after.slice(0, 60)}"`);
    // The ids starting with `prefix` are one run of the sorted list: found by binary search, so a
    // page costs the same in a folder of 100k logs as in one of ten.
    const ids = scan.ids;
    let at = Math.max(firstAtLeast(ids, prefix), after === undefined ? 0 : firstAbove(ids, after));
    const page: string[] = [];
    for (; at < ids.length && page.length < take && (ids[at] ?? '').startsWith(prefix); at++) page.push(ids[at] ?? '');
    const more = at < ids.length && (ids[at] ?? '').startsWith(prefix);
    return { sessions: page.map((id) => ({ id })), next: more ? (page.at(-1) ?? null) : null, order: 'by name' };
  }

  private async current(): Promise<Scan> {
    if (this.scan && this.now() - this.scan.at < SESSION_LIST_FRESH_MS) return this.scan;
    // Listings asked for at once share one scan.
    this.scanning ??= this.read().finally(() => (this.scanning = null));
    this.scan = await this.scanning;
    return this.scan;
  }

  private async read(): Promise<Scan> {
    const at = this.now();
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const ids = names.flatMap((name) => {
      const id = name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : '';
      return SESSION_ID_PATTERN.test(id) ? [id] : [];
    });
    ids.sort(byName);
    if (ids.length > SESSION_LIST_TIMED_MAX) return { at, ids, timed: null };
    const timed = new Map<string, Timed>();
    for (let from = 0; from < ids.length; from += STAT_BATCH) {
      const batch = ids.slice(from, from + STAT_BATCH);
      const stats = await Promise.all(batch.map((id) => lstat(join(this.dir, `${id}.jsonl`)).catch(() => null)));
      // A log removed since the names were read, or not a file (a folder or a symbolic link named x.jsonl), is left out.
      batch.forEach((id, i) => {
        const found = stats[i];
        if (found?.isFile()) timed.set(id, { id, mtimeMs: found.mtimeMs, bytes: found.size });
      });
    }
    return { at, ids, timed };
  }
}

/** Plain code-unit order: the same on every machine, whatever its locale. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const newestFirst = (a: Timed, b: Timed) => b.mtimeMs - a.mtimeMs || byName(a.id, b.id);

const TIMED = 't:';

/** Where a page ended: the time and id of its last log, so the next page starts right after it even if logs were written meanwhile. */
const timedCursor = (log: Timed) => `${TIMED}${log.mtimeMs}:${log.id}`;

function startAfterTimed(all: Timed[], cursor: string): number {
  const match = /^t:(\d+(?:\.\d+)?):([A-Za-z0-9_-]{1,128})$/.exec(cursor);
  if (!match) throw new BadSessionCursor(`bad session cursor "${cursor.slice(0, 60)}"`);
  const mark: Timed = { id: match[2] ?? '', mtimeMs: Number(match[1]), bytes: 0 };
  const index = all.findIndex((log) => newestFirst(log, mark) > 0);
  return index < 0 ? all.length : index;
}

/** The index of the first id after `id` in a sorted list. */
const firstAbove = (ids: string[], id: string) => search(ids, (other) => byName(other, id) <= 0);

/** The index of the first id at or after `id` in a sorted list. */
const firstAtLeast = (ids: string[], id: string) => search(ids, (other) => byName(other, id) < 0);

/** Binary search: the index of the first id `before` is false of (it holds of a prefix of the list). */
function search(ids: string[], before: (id: string) => boolean): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(ids[middle] ?? '')) low = middle + 1;
    else high = middle;
  }
  return low;
}
