/**
 * Session logs on disk: one append-only JSONL file per session, one line per consulting call. Lines
 * are appended with a single write, and a torn line (a crash mid-append, another writer's partial
 * line, a full disk) is skipped on read and never glued to the next entry: every append looks at the
 * log's last byte first, and a write of ours that fails part-way is cut back. Logs are read from their
 * end (lines-from-end.ts), only as far as a reader needs: what a read costs is bounded, however long
 * the session.
 *
 * Shared: the MCP server keeps its logs so in the embedded default (src/session/log.ts), and the
 * brain service keeps every replica's so in team mode, behind its /sessions API.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { appendWhole } from '../append-whole.js';
import { SESSION_ID_PATTERN, type AdviceOutcome, type Attempt, type Usage, type WhatWasCut } from '../consultation-contract.js';
import { countLineEnds, eachLineFromEnd } from './lines-from-end.js';
import { SessionDirectory, type SessionListing, type SessionListRequest } from './listing.js';

export { SESSION_ID_PATTERN } from '../consultation-contract.js';

export interface SessionEntry {
  session_id: string;
  timestamp: string;
  skill: string;
  phase: string;
  project_root: string | null;
  /** cancelled: the client cancelled the call, or the server stopped it at shutdown. */
  final_status: 'ok' | 'error' | 'cancelled';
  model_used: string | null;
  duration_ms: number;
  /** The answer's first ENTRY_LIMITS.answerChars characters, or the error's first ENTRY_LIMITS.errorChars. */
  message: string;
  /** How long the answer (or error) was: more than `message` holds when it was cut. Absent in older lines. */
  message_chars?: number;
  /** The call's own arguments in short, by name: a text's first words, the names of files (never their content). Absent in older lines. */
  arguments?: Record<string, string>;
  attempts: Attempt[];
  usage: Usage | null;
  /** The brain notes given to the model, by path (at most ENTRY_LIMITS.knowledgePaths). Absent in older lines, and when the call failed. */
  knowledge?: string[];
  /** What the prompt left out to fit the model's window (the result's `cut`); null when nothing was, or the call failed first. */
  cut?: WhatWasCut | null;
  /** tdd_green / tdd_refactor given `test_output`: whether the previous TDD step's advice worked. Absent otherwise. */
  advice_outcome?: AdviceOutcome;
}

/**
 * The most of a log's end that a consulting call looks through for its history (~490 entries of ~530
 * bytes). A call usually finds its 20 entries in the first 16 KiB; this bounds what a long run of calls
 * of one phase, whose entries it passes over, can cost.
 */
export const RECENT_BYTES = 256 * 1024;

/**
 * How far before the part of a log that `tail` reads its earlier lines are counted (never parsed):
 * a log up to this much longer is counted exactly; a longer one gets a lower bound, said as such.
 * Counting costs ~0.3 ms a MiB from the page cache (bench/session-bench.ts).
 */
export const COUNTED_BYTES = 8 * 1024 * 1024;

export interface RecentOptions {
  /** At most this many entries, the newest (default: all within RECENT_BYTES). */
  limit?: number;
  /** Only entries for which this holds. */
  keep?: (entry: SessionEntry) => boolean;
  /**
   * Leaves out the entries of this phase, as `keep` would, but cheaper: a line that shows its phase
   * plainly (ofPhase) is passed over unparsed. A consulting call's history skips its own phase, and a
   * session of one skill would otherwise parse every line of RECENT_BYTES at every call (~0.8 ms).
   */
  skipPhase?: string;
}

export interface Newest {
  /** The entries within the log's last bytes asked for, oldest first. */
  entries: SessionEntry[];
  /** True when they are the whole log: no entry came before them. */
  complete: boolean;
}

export interface Tail {
  /** The newest entries within the log's last `maxBytes` (until one was `enough`), oldest first. */
  entries: SessionEntry[];
  /** Lines before those read (torn and blank ones too: they are counted, not parsed). */
  earlier: number;
  /** False when the log is so long that `earlier` is a lower bound: its first lines were not counted (COUNTED_BYTES). */
  earlierExact: boolean;
}

/** A session id that is no file name (SESSION_ID_PATTERN). */
export class InvalidSessionId extends Error {}

/**
 * The log's name is taken by something that is not a regular file: a symbolic link (which could lead
 * out of the sessions folder), a FIFO (a read would hang), a folder. Never followed, read or written.
 */
export class NotALogFile extends Error {}

/** An append that would have started a new log, when the caller's `mayStart` said no: nothing was written. */
export class NewLogRefused extends Error {}

/** What an append did: the log's first line starts a session. */
export interface Appended {
  created: boolean;
  bytes: number;
}

/** The whole lines of a log's end, as written (torn and foreign ones too: the reader parses). */
export interface TailLines {
  /** Oldest first, each without its newline. */
  lines: Buffer[];
  /** Lines before those (counted, not read). */
  earlier: number;
  /** False when `earlier` is a lower bound (COUNTED_BYTES). */
  earlierExact: boolean;
  /** The log's size in bytes (0: no log). */
  size: number;
}

export class SessionLogFiles {
  private dirReady = false;
  private readonly directory: SessionDirectory;
  /** Appends to one log, in order: a second waits for the first (its last-byte check must see the first's newline). */
  private readonly appending = new Map<string, Promise<void>>();
  private readonly runId = randomUUID().slice(0, 8);
  private logsStarted = 0;

  constructor(readonly dir: string) {
    this.directory = new SessionDirectory(dir);
  }

  /**
   * Changes whenever an append through this object started a log, and with each new object (a
   * restart): the brain service publishes it on GET /ready, so every MCP replica learns of the logs
   * the others started.
   */
  get generation(): string {
    return `${this.runId}.${this.logsStarted}`;
  }

  static check(id: string): string {
    if (!SESSION_ID_PATTERN.test(id)) throw new InvalidSessionId(`invalid session_id "${id.slice(0, 40)}": use 1–128 letters, digits, - or _`);
    return id;
  }

  /** The session logs, newest first, a page at a time (listing.ts: what it costs is bounded). */
  list(request: SessionListRequest = {}): Promise<SessionListing> {
    return this.directory.list(request);
  }

  protected file(id: string): string {
    return join(this.dir, `${SessionLogFiles.check(id)}.jsonl`);
  }

  /** Appends the entry as one line of its session's log. */
  append(entry: SessionEntry): Promise<Appended> {
    return this.appendLine(entry.session_id, JSON.stringify(entry));
  }

  /**
   * Appends `json` (one line: JSON.stringify's output holds no newline) to the log of `id`. When the
   * log does not exist yet, `mayStart` is asked first (the brain service bounds how many logs start
   * a minute); false throws NewLogRefused, nothing written.
   */
  appendLine(id: string, json: string, mayStart?: () => boolean): Promise<Appended> {
    const file = this.file(id);
    const previous = this.appending.get(id) ?? Promise.resolve();
    const done = previous.catch(() => undefined).then(async () => {
      if (mayStart && !(await exists(file)) && !mayStart()) throw new NewLogRefused(`no new session log started for ${id}`);
      return this.appendNow(id, file, json);
    });
    // What the next append waits for: this one settled, whether or not it failed (its caller has the error).
    const tracked: Promise<void> = done.then(
      () => this.settled(id, tracked),
      () => this.settled(id, tracked),
    );
    this.appending.set(id, tracked);
    return done;
  }

  private settled(id: string, append: Promise<void>): void {
    if (this.appending.get(id) === append) this.appending.delete(id);
  }

  private async appendNow(id: string, file: string, json: string): Promise<Appended> {
    if (!this.dirReady) {
      await mkdir(this.dir, { recursive: true });
      this.dirReady = true;
    }
    const { handle, size } = await openLog(id, file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT);
    try {
      // The last byte, before every append (one 1-byte read): a log that ends without a newline got
      // a torn line from another writer (a crash, a second process on the same folder), and our line
      // must start on a fresh one, or it is glued on and lost.
      const last = Buffer.alloc(1);
      if (size > 0) await handle.read(last, 0, 1, size - 1);
      const prefix = size > 0 && last[0] !== 0x0a ? '\n' : '';
      const line = Buffer.from(`${prefix}${json}\n`);
      await appendWhole(handle, line, { size });
      this.directory.appended(id, line.length);
      if (size === 0) this.logsStarted += 1;
      return { created: size === 0, bytes: line.length };
    } finally {
      await handle.close();
    }
  }

  /**
   * The session's first entries, within the log's first `maxBytes` (a line cut there is left out):
   * what the session started with, read without reading the rest (the brain's web page lists sessions so).
   */
  async head(id: string, maxBytes: number): Promise<SessionEntry[]> {
    const entries: SessionEntry[] = [];
    await this.withLog(id, async (handle, size) => {
      const start = Buffer.alloc(Math.min(size, maxBytes));
      const { bytesRead } = await handle.read(start, 0, start.length, 0);
      const text = start.subarray(0, bytesRead).toString('utf8');
      const whole = bytesRead < size ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
      for (const line of whole.split('\n')) {
        const entry = entryOf(line);
        if (entry) entries.push(entry);
      }
    });
    return entries;
  }

  /** The whole session, oldest first; unreadable lines are skipped. For tests: no call reads a whole log. */
  async read(id: string): Promise<SessionEntry[]> {
    const text = await readFile(this.file(id), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    return text.split('\n').flatMap((line) => entryOf(line) ?? []);
  }

  /**
   * The session's newest entries, oldest first: read back from the log's end, a line at a time, and
   * parsed only until `limit` entries that `keep` accepts are found — or RECENT_BYTES are read.
   */
  async recent(id: string, { limit = Infinity, keep = () => true, skipPhase }: RecentOptions = {}): Promise<SessionEntry[]> {
    const found: SessionEntry[] = [];
    if (limit <= 0) return found;
    await this.withLog(id, async (handle, size) => {
      await eachLineFromEnd(handle, size, RECENT_BYTES, (line) => {
        if (skipPhase !== undefined && ofPhase(line, skipPhase)) return true;
        const entry = entryOf(line);
        if (entry && entry.phase !== skipPhase && keep(entry)) found.push(entry);
        return found.length < limit;
      });
    });
    return found.reverse();
  }

  /**
   * The entries within the last `maxBytes` of the log, oldest first, and whether they are the whole
   * log. Unlike `tail`, nothing before them is counted: what a call reads to answer its questions
   * about the session's last steps (src/session/call-reads.ts).
   */
  async newest(id: string, maxBytes: number): Promise<Newest> {
    const entries: SessionEntry[] = [];
    let complete = true;
    await this.withLog(id, async (handle, size) => {
      const firstRead = await eachLineFromEnd(handle, size, maxBytes, (line) => {
        const entry = entryOf(line);
        if (entry) entries.push(entry);
        return true;
      });
      complete = firstRead === 0;
    });
    return { entries: entries.reverse(), complete };
  }

  /**
   * The newest entries within the last `maxBytes` of the log, oldest first — read back from the end
   * until `enough` says true of one (it is asked of each, newest first) — and how many earlier lines
   * were not read. Only the log's end is read and parsed; the earlier lines are counted, a chunk at a
   * time, for at most COUNTED_BYTES before it. Nothing here grows with the log.
   */
  async tail(id: string, maxBytes: number, enough: (entry: SessionEntry) => boolean = () => false): Promise<Tail> {
    const entries: SessionEntry[] = [];
    let earlier = 0;
    let earlierExact = true;
    await this.withLog(id, async (handle, size) => {
      const firstRead = await eachLineFromEnd(handle, size, maxBytes, (line) => {
        const entry = entryOf(line);
        if (!entry) return true;
        entries.push(entry);
        return !enough(entry);
      });
      ({ earlier, earlierExact } = await countEarlier(handle, firstRead));
    });
    return { entries: entries.reverse(), earlier, earlierExact };
  }

  /**
   * The whole lines within the last `maxBytes` of the log, unparsed, and how many came before: what
   * the brain service's `GET /sessions/{id}` sends, for the reader to parse as `tail` would.
   */
  async tailLines(id: string, maxBytes: number): Promise<TailLines> {
    const lines: Buffer[] = [];
    let counted = { earlier: 0, earlierExact: true };
    let logSize = 0;
    await this.withLog(id, async (handle, size) => {
      logSize = size;
      const firstRead = await eachLineFromEnd(handle, size, maxBytes, (line) => {
        lines.push(line);
        return true;
      });
      counted = await countEarlier(handle, firstRead);
    });
    return { lines: lines.reverse(), ...counted, size: logSize };
  }

  /** Opens the session's log and hands it, with its size, to `use`; a session with no log has nothing to read. */
  private async withLog(id: string, use: (handle: FileHandle, size: number) => Promise<void>): Promise<void> {
    const log = await openLog(id, this.file(id), constants.O_RDONLY).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!log) return;
    const { handle, size } = log;
    try {
      await use(handle, size);
    } finally {
      await handle.close();
    }
  }
}

/**
 * Opens a log without following a symbolic link, and without waiting on a FIFO, and refuses anything
 * but a regular file (NotALogFile).
 */
async function openLog(id: string, file: string, flags: number): Promise<{ handle: FileHandle; size: number }> {
  const refused = () => new NotALogFile(`the log of session ${id} is not a regular file (a symbolic link, a FIFO or a folder has its name): it is neither read nor written; move it out of the sessions folder`);
  const handle = await open(file, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP' || error.code === 'EISDIR' ? refused() : error;
  });
  const stat = await handle.stat();
  if (stat.isFile()) return { handle, size: stat.size };
  await handle.close();
  throw refused();
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/** The lines before offset `before`, counted back for at most COUNTED_BYTES. */
async function countEarlier(handle: FileHandle, before: number): Promise<{ earlier: number; earlierExact: boolean }> {
  const countFrom = Math.max(0, before - COUNTED_BYTES);
  return { earlier: await countLineEnds(handle, countFrom, before), earlierExact: countFrom === 0 };
}

/**
 * How every line this server writes begins (JSON.stringify keeps the entry's key order), its values
 * plain strings: up to there the line is at the top level of its object, so the phase read here is the
 * entry's, unless a later "phase" key overrides it (JSON.parse keeps the last), which ofPhase rules out.
 */
const PLAIN_START = /^\{"session_id":"[^"\\]*","timestamp":"[^"\\]*","skill":"[^"\\]*","phase":"([^"\\]*)"[,}]/;
/** Enough of a line to hold PLAIN_START: a session id is at most 128 characters. */
const PLAIN_START_BYTES = 512;

/**
 * Whether the line is certainly an entry of `phase`, told without parsing it: it starts as this
 * server writes lines (PLAIN_START) with that phase, and holds no other "phase" anywhere (inside a
 * string a quote is escaped, so `"phase"` there is a key or a whole value; either way, the line is
 * parsed). False means only "not certain": the line is parsed. A torn line that passes is no entry
 * either way.
 */
export function ofPhase(line: Buffer, phase: string): boolean {
  const start = PLAIN_START.exec(line.toString('latin1', 0, PLAIN_START_BYTES));
  return start !== null && start[1] === phase && line.indexOf('"phase"', start[0].length) === -1;
}

/** One line of a log as an entry, or null for a torn, corrupt or blank one (the rest of the log is still good). */
export function entryOf(line: Buffer | string): SessionEntry | null {
  const text = typeof line === 'string' ? line : line.toString('utf8');
  if (!text.trim()) return null;
  try {
    return asEntry(JSON.parse(text));
  } catch {
    return null;
  }
}

/**
 * An entry as this server writes it, from whatever a line holds: logs written by hand, by an
 * older server (no attempts or usage) or by the first deployment may lack fields or hold other
 * types, and one such line must not break a retrospective of the whole session.
 */
function asEntry(value: unknown): SessionEntry | null {
  if (!value || typeof value !== 'object') return null;
  const line = value as Record<string, unknown>;
  if (typeof line.skill !== 'string') return null;
  const text = (field: unknown, fallback: string) => (typeof field === 'string' ? field : fallback);
  const args = textsOf(line.arguments);
  return {
    session_id: text(line.session_id, ''),
    timestamp: text(line.timestamp, ''),
    skill: line.skill,
    phase: text(line.phase, line.skill),
    project_root: typeof line.project_root === 'string' ? line.project_root : null,
    // Shown as written: another writer's word for an outcome is still its outcome.
    final_status: typeof line.final_status === 'string' ? (line.final_status as SessionEntry['final_status']) : 'error',
    model_used: typeof line.model_used === 'string' ? line.model_used : null,
    duration_ms: typeof line.duration_ms === 'number' ? line.duration_ms : 0,
    message: text(line.message, ''),
    ...(typeof line.message_chars === 'number' ? { message_chars: line.message_chars } : {}),
    ...(args ? { arguments: args } : {}),
    attempts: Array.isArray(line.attempts) ? (line.attempts as Attempt[]).filter((a) => a && typeof a === 'object' && typeof a.model === 'string') : [],
    usage: line.usage && typeof line.usage === 'object' ? (line.usage as Usage) : null,
    ...(Array.isArray(line.knowledge) ? { knowledge: line.knowledge.filter((path): path is string => typeof path === 'string') } : {}),
    cut: cutOf(line.cut),
    ...adviceOutcomeOf(line.advice_outcome),
  };
}

/** A logged `advice_outcome`, when it is one (a hand-edited line may hold anything). */
function adviceOutcomeOf(value: unknown): { advice_outcome?: AdviceOutcome } {
  if (!value || typeof value !== 'object') return {};
  const { skill, model, expected, seen, worked } = value as Record<string, unknown>;
  const known = typeof skill === 'string' && typeof model === 'string' && typeof expected === 'string' && typeof seen === 'string';
  return known && (typeof worked === 'boolean' || worked === null) ? { advice_outcome: { skill, model, expected, seen, worked } as AdviceOutcome } : {};
}

/** A logged `cut`, each field of the type it should have (a hand-edited line may hold anything), or null. */
function cutOf(value: unknown): WhatWasCut | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const cut = value as Record<string, unknown>;
  const count = (field: unknown) => (typeof field === 'number' ? field : 0);
  const names = (field: unknown) => (Array.isArray(field) ? field.filter((name): name is string => typeof name === 'string') : []);
  return {
    knowledge: count(cut.knowledge),
    history: count(cut.history),
    truncated: names(cut.truncated),
    omitted: names(cut.omitted),
    fields: names(cut.fields),
    ...(typeof cut.session_entries === 'number' ? { session_entries: cut.session_entries } : {}),
    ...(cut.session_entries_at_least === true ? { session_entries_at_least: true as const } : {}),
  };
}

/** An object's string values (others dropped), or null when it is no object. */
function textsOf(value: unknown): Record<string, string> | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  return Object.fromEntries(Object.entries(value).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
}
