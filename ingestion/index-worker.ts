/**
 * A thread holding one connection to the search index, started by index-thread.ts: the writer (the
 * only connection that changes the index) or a reader answering searches. Calls are answered one at
 * a time, in the order they came, so a batch of changes is never overtaken by the next one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { NoteListQuery } from '../common/brain-contract.js';
import { SearchIndex, type IndexChange, type SearchQuery, type StampColumns } from './search-index.js';
import { StampCheck } from './stamp-check.js';

export type IndexRole = 'writer' | 'reader';

export interface CallMessage {
  id: number;
  method: keyof typeof methods;
  args: unknown[];
}

/** A failure carries SQLite's error code (e.g. SQLITE_CORRUPT), so the service can tell a damaged index from other faults. */
export type ReplyMessage = { id: number; result: unknown } | { id: number; error: string; code?: string | undefined };

const { role, file } = workerData as { role: IndexRole; file: string };
// Opened when the thread starts: a failure here is the thread's 'error', which every waiting call is told.
const opened = role === 'writer' ? SearchIndex.open(file) : { index: SearchIndex.openReader(file), rebuilt: false };
let index = opened.index;
/** The reconcile under way's comparison of the disk with the index (the writer's; one at a time). */
let check: StampCheck | null = null;

function currentCheck(): StampCheck {
  if (!check) throw new Error('no stamp check was begun');
  return check;
}

const methods = {
  opened: () => ({ rebuilt: opened.rebuilt, reason: 'reason' in opened ? opened.reason : undefined, count: index.count(), malformed: index.malformedCount() }),
  search: (query: SearchQuery) => index.search(query),
  list: (query: NoteListQuery) => index.list(query),
  apply: (changes: IndexChange[]) => index.apply(changes),
  stamps: () => index.stamps(),
  stamp: (path: string) => index.stamp(path),
  /** A reconcile begins: the index's stamps, read a page a call (loadStamps), to compare the walk's with. */
  beginStampCheck: () => void (check = new StampCheck()),
  /** Reads the next page of the index's stamps; false when every page is read. */
  loadStamps: () => currentCheck().load((afterId, limit) => index.stampsAfter(afterId, limit)),
  changedStamps: (walked: StampColumns) => currentCheck().changed(walked),
  endStampCheck: () => {
    const missing = currentCheck().missing();
    check = null;
    return missing;
  },
  pathsUnder: (dir: string) => index.pathsUnder(dir),
  malformedNotes: (limit: number) => index.malformedNotes(limit),
  /** The writer's cure for a damaged index: start it again, empty, to be filled from the notes. */
  rebuild: () => {
    try {
      index.close();
    } catch {
      // a damaged file may refuse to close cleanly; it is thrown away either way
    }
    index = SearchIndex.recreate(file);
    return { count: index.count(), malformed: index.malformedCount() };
  },
  close: () => index.close(),
};

parentPort?.on('message', ({ id, method, args }: CallMessage) => {
  let reply: ReplyMessage;
  try {
    reply = { id, result: (methods[method] as (...a: unknown[]) => unknown)(...args) };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    reply = { id, error: error instanceof Error ? error.message : String(error), code: typeof code === 'string' ? code : undefined };
  }
  parentPort?.postMessage(reply);
});
