/**
 * The MCP server's session logs on its own disk (the embedded default; common/session-log/files.ts
 * keeps them), and what the consulting calls need of an entry: its bounds and the history it shows
 * the model. In team mode the logs are the brain service's (remote.ts).
 */
import { CallRefused } from '../errors.js';
import { ChangeSignal } from '../change-signal.js';
import { InvalidSessionId, SessionLogFiles, type Appended, type SessionEntry } from '../../common/session-log/files.js';

export {
  COUNTED_BYTES,
  RECENT_BYTES,
  SESSION_ID_PATTERN,
  type Newest,
  type RecentOptions,
  type SessionEntry,
  type Tail,
} from '../../common/session-log/files.js';

/**
 * Bounds of what one entry holds, so a line stays a few KiB however large the call was: the
 * answer is what a retrospective reads most, the arguments only say what the call was about.
 */
export const ENTRY_LIMITS = {
  /** `message` of an answer: its first 4,000 characters (`message_chars` says how long it was). */
  answerChars: 4000,
  /** `message` of an error. */
  errorChars: 1000,
  /** `arguments`: at most this many … */
  arguments: 16,
  /** … each value at most this long (a text's first words, or a list of file names) … */
  argumentChars: 240,
  /** … a list naming at most this many paths (then "+N more"). */
  argumentPaths: 10,
  /** An attempt's `detail` (an upstream error message). */
  attemptDetailChars: 300,
  /** `knowledge`: the paths of at most this many notes given (then "+N more"). */
  knowledgePaths: 20,
  /** `cut.truncated` / `cut.omitted`: at most this many paths each (then "+N more"). */
  cutPaths: 20,
} as const;

/** The first 200 characters of an answer are what other calls' history shows of it. */
export const HISTORY_ANSWER_CHARS = 200;

export class SessionLog extends SessionLogFiles {
  /** Told of each log this process starts, while anyone listens (newLogs). */
  private logStarted: (() => void) | null = null;
  private readonly newLogs = new ChangeSignal((started) => {
    this.logStarted = started;
    return () => (this.logStarted = null);
  });

  /** A new log is a new session resource: the MCP server tells its open sessions that the list changed. */
  onNewLog(listener: () => void): () => void {
    return this.newLogs.subscribe(listener);
  }

  override async append(entry: SessionEntry): Promise<Appended> {
    const appended = await super.append(entry);
    if (appended.created) this.logStarted?.();
    return appended;
  }

  protected override file(id: string): string {
    return super.file(checkSessionId(id));
  }
}

/** The id, or a refusal of the call: a bad id is the caller's own fault, said to it. */
export function checkSessionId(id: string): string {
  try {
    return SessionLogFiles.check(id);
  } catch (error) {
    throw error instanceof InvalidSessionId ? new CallRefused(error.message) : error;
  }
}

/** Earlier calls as a short list, newest last, for the model to read. */
export function formatHistory(entries: SessionEntry[]): string {
  return entries.map(formatEntry).join('\n');
}

/** One line of that list. */
export function formatEntry(e: SessionEntry): string {
  const when = e.timestamp.slice(0, 16).replace('T', ' ');
  const who = e.model_used ? ` by ${e.model_used}` : '';
  return `- ${when} ${e.skill} (${e.phase}) ${e.final_status}${who}: ${e.message.slice(0, HISTORY_ANSWER_CHARS).replace(/\s+/g, ' ').trim()}`;
}
