/**
 * A thread holding one connection to the search index, started by index-thread.ts: the writer (the
 * only connection that changes the index) or a reader answering searches. Calls are answered one at
 * a time, in the order they came, so a batch of changes is never overtaken by the next one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { NoteListQuery } from '../common/brain-contract.js';
import { SearchIndex, type IndexChange, type SearchQuery } from './search-index.js';

export type IndexRole = 'writer' | 'reader';

export interface CallMessage {
  id: number;
  method: keyof typeof methods;
  args: unknown[];
}

export type ReplyMessage = { id: number; result: unknown } | { id: number; error: string };

const { role, file } = workerData as { role: IndexRole; file: string };
// Opened when the thread starts: a failure here is the thread's 'error', which every waiting call is told.
const opened = role === 'writer' ? SearchIndex.open(file) : { index: SearchIndex.openReader(file), rebuilt: false };
const index = opened.index;

const methods = {
  opened: () => ({ rebuilt: opened.rebuilt, reason: 'reason' in opened ? opened.reason : undefined, count: index.count() }),
  search: (query: SearchQuery) => index.search(query),
  list: (query: NoteListQuery) => index.list(query),
  apply: (changes: IndexChange[]) => index.apply(changes),
  stamps: () => index.stamps(),
  stamp: (path: string) => index.stamp(path),
  pathsUnder: (dir: string) => index.pathsUnder(dir),
  close: () => index.close(),
};

parentPort?.on('message', ({ id, method, args }: CallMessage) => {
  let reply: ReplyMessage;
  try {
    reply = { id, result: (methods[method] as (...a: unknown[]) => unknown)(...args) };
  } catch (error) {
    reply = { id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
