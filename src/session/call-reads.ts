/**
 * One consulting call's reads of its session's log. A call asks the log three questions — its TDD
 * order, the outcome of the previous step's advice, the history for its prompt — and each used to be
 * its own read: three file reads in the embedded default, three HTTP requests to the brain service in
 * team mode. All three are about the log's newest entries, so the call reads the log's end once and
 * answers each question from it; only a question it cannot answer (the history, past a long run of
 * calls of the same phase or of long answers) reads further, as before.
 */
import type { RecentOptions, SessionEntry } from '../../common/session-log/files.js';
import type { SessionStore } from '../deps.js';

/**
 * The log's end read once per call: ~60 entries of a few hundred bytes, ~7 of the longest (an answer
 * is kept to 4,000 characters) — enough for the TDD order and the advice outcome (one entry each), and
 * usually for the history's 20 of other phases.
 */
export const CALL_READ_BYTES = 32 * 1024;

/** `store`, with `recent` for `sessionId` answered from one read of the log's end whenever it holds the answer. */
export function readOnceForCall(store: SessionStore, sessionId: string): SessionStore {
  let end: ReturnType<SessionStore['newest']> | null = null;
  const recent = async (id: string, options: RecentOptions = {}): Promise<SessionEntry[]> => {
    if (id !== sessionId) return store.recent(id, options);
    end ??= store.newest(id, CALL_READ_BYTES);
    const { entries, complete } = await end;
    const { limit = Infinity, keep = () => true, skipPhase } = options;
    const kept = entries.filter((entry) => entry.phase !== skipPhase && keep(entry));
    // Enough found, or the end read is the whole log: nothing older could change the answer.
    if (kept.length >= limit || complete) return kept.slice(Math.max(0, kept.length - limit));
    return store.recent(id, options);
  };
  return {
    append: (entry) => store.append(entry),
    recent,
    newest: (id, maxBytes) => store.newest(id, maxBytes),
    tail: (id, maxBytes, enough) => store.tail(id, maxBytes, enough),
    list: (request) => store.list(request),
    onNewLog: (listener) => store.onNewLog(listener),
  };
}
