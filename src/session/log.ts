/**
 * Session logs (DESIGN.md §6): one append-only JSONL file per session, one line per consulting
 * call. Lines are appended with a single write, and a torn line (a crash mid-append) is skipped on
 * read and never glued to the next entry.
 */
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Attempt, Usage } from '../llm/chain.js';

/** A session id is a short opaque token: it becomes a file name, so nothing else is accepted. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export interface SessionEntry {
  session_id: string;
  timestamp: string;
  skill: string;
  phase: string;
  project_root: string | null;
  final_status: 'ok' | 'error';
  model_used: string | null;
  duration_ms: number;
  /** The answer's first 200 characters, or the error. */
  message: string;
  attempts: Attempt[];
  usage: Usage | null;
}

export class InvalidSessionId extends Error {
  constructor(id: string) {
    super(`invalid session_id "${id.slice(0, 40)}": use 1–128 letters, digits, - or _`);
  }
}

export class SessionLog {
  constructor(readonly dir: string) {}

  static check(id: string): string {
    if (!SESSION_ID_PATTERN.test(id)) throw new InvalidSessionId(id);
    return id;
  }

  private file(id: string): string {
    return join(this.dir, `${SessionLog.check(id)}.jsonl`);
  }

  async append(entry: SessionEntry): Promise<void> {
    const file = this.file(entry.session_id);
    await mkdir(this.dir, { recursive: true });
    // After a torn last line, start on a fresh line so this entry stays readable.
    const prefix = (await endsMidLine(file)) ? '\n' : '';
    await appendFile(file, `${prefix}${JSON.stringify(entry)}\n`, 'utf8');
  }

  /** The session's entries, oldest first; unreadable lines are skipped. */
  async read(id: string): Promise<SessionEntry[]> {
    const text = await readFile(this.file(id), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const entries: SessionEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const value = JSON.parse(line) as SessionEntry;
        if (value && typeof value === 'object' && typeof value.skill === 'string') entries.push(value);
      } catch {
        // a torn or corrupt line: the rest of the log is still good
      }
    }
    return entries;
  }
}

async function endsMidLine(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
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
