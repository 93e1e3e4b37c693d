/**
 * Team mode's session logs: kept by the brain service (its /sessions API, docs/brain.md), so that any
 * number of MCP server replicas share them and none keeps anything another needs. A call's history,
 * its TDD order and a retrospective read the same lines whichever replica wrote them. Reads fetch only
 * the log's end, as the local store reads it (common/session-log/files.ts), and parse it here.
 */
import { EARLIER_EXACT_HEADER, EARLIER_LINES_HEADER, MAX_SESSION_TAIL_BYTES, type SessionAppended } from '../../common/session-contract.js';
import { entryOf, RECENT_BYTES, type Newest, type RecentOptions, type SessionEntry, type Tail } from '../../common/session-log/files.js';
import { BadSessionCursor, type SessionListing, type SessionListRequest } from '../../common/session-log/listing.js';
import { BrainRefused, type HttpBrainClient } from '../brain/client.js';
import { ChangeSignal } from '../change-signal.js';
import type { SessionStore } from '../deps.js';
import { checkSessionId } from './log.js';

/** A call's history is usually in a log's last few entries: the first read asks for this much, the second for RECENT_BYTES. */
const FIRST_READ_BYTES = 16 * 1024;
/** Appends may wait on a busy disk: they get this many times the brain client's timeout. */
const APPEND_TIMEOUT_FACTOR = 5;

interface FetchedTail {
  /** Newest first, torn lines as null (they count as lines, and are no entry). */
  entries: Array<SessionEntry | null>;
  earlier: number;
  earlierExact: boolean;
}

export class RemoteSessionLog implements SessionStore {
  /** Told of each log an append of this replica started, while anyone listens. */
  private logStarted: (() => void) | null = null;
  // This replica's own new logs are told at once; the others' when the service's generation of
  // them moves (polled every few seconds while anyone listens).
  private readonly newLogs = new ChangeSignal((started) => {
    this.logStarted = started;
    const stopWatching = this.brain.watchNewSessionLogs(started);
    return () => {
      this.logStarted = null;
      stopWatching();
    };
  });

  constructor(
    private readonly brain: HttpBrainClient,
    private readonly timeoutMs = 2000,
  ) {}

  async append(entry: SessionEntry): Promise<void> {
    const response = await this.brain.send('POST', logPath(entry.session_id), { body: entry, timeoutMs: this.timeoutMs * APPEND_TIMEOUT_FACTOR });
    const { created } = (await response.json()) as SessionAppended;
    if (created) this.logStarted?.();
  }

  async recent(id: string, { limit = Infinity, keep = () => true, skipPhase }: RecentOptions = {}): Promise<SessionEntry[]> {
    if (limit <= 0) return [];
    for (let bytes = FIRST_READ_BYTES; ; bytes = RECENT_BYTES) {
      const tail = await this.fetchTail(id, bytes);
      const found: SessionEntry[] = [];
      for (const entry of tail.entries) {
        if (entry && entry.phase !== skipPhase && keep(entry)) found.push(entry);
        if (found.length >= limit) break;
      }
      // Done when enough were found, the whole log was read, or as far as the local store reads.
      if (found.length >= limit || tail.earlier === 0 || bytes >= RECENT_BYTES) return found.reverse();
    }
  }

  async newest(id: string, maxBytes: number): Promise<Newest> {
    const fetched = await this.fetchTail(id, maxBytes);
    // Torn lines count as lines (so as earlier ones) but are no entry.
    return { entries: fetched.entries.filter((entry): entry is SessionEntry => entry !== null).reverse(), complete: fetched.earlier === 0 && fetched.earlierExact };
  }

  async tail(id: string, maxBytes: number, enough: (entry: SessionEntry) => boolean = () => false): Promise<Tail> {
    const tail = await this.fetchTail(id, Math.min(maxBytes, MAX_SESSION_TAIL_BYTES));
    const entries: SessionEntry[] = [];
    let read = 0;
    for (const entry of tail.entries) {
      read++;
      if (!entry) continue;
      entries.push(entry);
      if (enough(entry)) break;
    }
    // The lines past the one `enough` accepted were fetched but count as earlier, as the local store counts them.
    return { entries: entries.reverse(), earlier: tail.earlier + tail.entries.length - read, earlierExact: tail.earlierExact };
  }

  async list(request: SessionListRequest = {}): Promise<SessionListing> {
    const query = new URLSearchParams();
    for (const key of ['prefix', 'after', 'limit'] as const) {
      const value = request[key];
      if (value !== undefined) query.set(key, String(value));
    }
    try {
      const response = await this.brain.send('GET', `/sessions${query.size > 0 ? `?${query.toString()}` : ''}`, { timeoutMs: this.timeoutMs });
      return (await response.json()) as SessionListing;
    } catch (error) {
      // The service's word for a cursor no listing gave: the caller says "bad cursor" as for local logs.
      if (error instanceof BrainRefused && error.status === 400 && request.after !== undefined) throw new BadSessionCursor(error.message);
      throw error;
    }
  }

  onNewLog(listener: () => void): () => void {
    return this.newLogs.subscribe(listener);
  }

  private async fetchTail(id: string, bytes: number): Promise<FetchedTail> {
    const response = await this.brain.send('GET', `${logPath(id)}?tail_bytes=${bytes}`, { timeoutMs: this.timeoutMs, accept: 'application/x-ndjson' });
    const lines = (await response.text()).split('\n');
    if (lines.at(-1) === '') lines.pop();
    return {
      entries: lines.reverse().map((line) => entryOf(line)),
      earlier: Number(response.headers.get(EARLIER_LINES_HEADER) ?? 0) || 0,
      earlierExact: response.headers.get(EARLIER_EXACT_HEADER) !== 'false',
    };
  }
}

/** The log's URL path; the id is checked here as the local store checks it (it becomes a file name there). */
function logPath(id: string): string {
  return `/sessions/${checkSessionId(id)}`;
}
