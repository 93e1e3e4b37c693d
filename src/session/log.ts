/**
 * Session logs: one append-only JSONL file per session, one line per consulting
 * call. Lines are appended with a single write, and a torn line (a crash mid-append) is skipped on
 * read and never glued to the next entry.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CallRefused } from '../errors.js';
import type { Attempt, Usage } from '../llm/chain.js';

/** A session id is a short opaque token: it becomes a file name, so nothing else is accepted. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

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
  /** The answer's first 200 characters, or the error. */
  message: string;
  attempts: Attempt[];
  usage: Usage | null;
}

/** History shown to a model is the recent end of a session: reading this much of the log is plenty. */
const RECENT_BYTES = 256 * 1024;

export class SessionLog {
  /** Files this process has appended to: they end with a newline, so no torn-line check is needed. */
  private readonly clean = new Set<string>();
  private dirReady = false;

  constructor(readonly dir: string) {}

  static check(id: string): string {
    if (!SESSION_ID_PATTERN.test(id)) throw new CallRefused(`invalid session_id "${id.slice(0, 40)}": use 1–128 letters, digits, - or _`);
    return id;
  }

  private file(id: string): string {
    return join(this.dir, `${SessionLog.check(id)}.jsonl`);
  }

  async append(entry: SessionEntry): Promise<void> {
    const file = this.file(entry.session_id);
    if (!this.dirReady) {
      await mkdir(this.dir, { recursive: true });
      this.dirReady = true;
    }
    const handle = await open(file, 'a+');
    try {
      let prefix = '';
      if (!this.clean.has(file)) {
        // A crash mid-append (of an earlier process) leaves a torn last line: start on a fresh one.
        const { size } = await handle.stat();
        const last = Buffer.alloc(1);
        if (size > 0) await handle.read(last, 0, 1, size - 1);
        if (size > 0 && last[0] !== 0x0a) prefix = '\n';
      }
      // One write in append mode: concurrent appenders never interleave within a line.
      await handle.write(`${prefix}${JSON.stringify(entry)}\n`);
      this.clean.add(file);
    } finally {
      await handle.close();
    }
  }

  /** The whole session, oldest first; unreadable lines are skipped. */
  async read(id: string): Promise<SessionEntry[]> {
    return parseEntries(await this.readText(id, Infinity));
  }

  /** The last entries of the session (its final 256 KiB), oldest first. */
  async recent(id: string): Promise<SessionEntry[]> {
    return parseEntries(await this.readText(id, RECENT_BYTES));
  }

  /**
   * The newest entries within the last `maxBytes` of the log, oldest first, and how many earlier
   * lines were not read. However long the log, only its end is loaded; the earlier part is only
   * counted, a chunk at a time.
   */
  async tail(id: string, maxBytes: number): Promise<{ entries: SessionEntry[]; earlier: number }> {
    const handle = await open(this.file(id), 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!handle) return { entries: [], earlier: 0 };
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      // Started mid-file: the first, partial line is not an entry.
      const skip = length < size ? buffer.indexOf(0x0a) + 1 || length : 0;
      const entries = parseEntries(buffer.subarray(skip).toString('utf8'));
      return { entries, earlier: await countLines(handle, size - length + skip) };
    } finally {
      await handle.close();
    }
  }

  private async readText(id: string, maxBytes: number): Promise<string> {
    const handle = await open(this.file(id), 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!handle) return '';
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const text = buffer.toString('utf8');
      // Started mid-file: the first, partial line is dropped.
      return length < size ? text.slice(text.indexOf('\n') + 1) : text;
    } finally {
      await handle.close();
    }
  }
}

/** Line ends in the file's first `end` bytes, read 1 MiB at a time. */
async function countLines(handle: FileHandle, end: number): Promise<number> {
  const chunk = Buffer.alloc(Math.min(end, 1024 * 1024));
  let lines = 0;
  for (let position = 0; position < end; ) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, end - position), position);
    if (bytesRead === 0) break;
    for (let at = chunk.indexOf(0x0a); at >= 0 && at < bytesRead; at = chunk.indexOf(0x0a, at + 1)) lines++;
    position += bytesRead;
  }
  return lines;
}

function parseEntries(text: string): SessionEntry[] {
  const entries: SessionEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = asEntry(JSON.parse(line));
      if (entry) entries.push(entry);
    } catch {
      // a torn or corrupt line: the rest of the log is still good
    }
  }
  return entries;
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
    attempts: Array.isArray(line.attempts) ? (line.attempts as Attempt[]) : [],
    usage: line.usage && typeof line.usage === 'object' ? (line.usage as Usage) : null,
  };
}

/** Earlier calls as a short list, newest last, for the model to read. */
export function formatHistory(entries: SessionEntry[]): string {
  return entries
    .map((e) => {
      const when = e.timestamp.slice(0, 16).replace('T', ' ');
      const who = e.model_used ? ` by ${e.model_used}` : '';
      return `- ${when} ${e.skill} (${e.phase}) ${e.final_status}${who}: ${e.message.replace(/\s+/g, ' ').trim()}`;
    })
    .join('\n');
}
