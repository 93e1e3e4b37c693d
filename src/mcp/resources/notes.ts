/**
 * Brain notes as resources: `brain://knowledge/{+path}`, `path` as the brain names the note under
 * knowledge/ (`testing/flaky-tests.md`), each folder and file name percent-encoded as
 * encodeURIComponent does. A note is read as written, frontmatter and all. Read-only: writing stays
 * the brain_write tool.
 */
import { ProtocolError, ProtocolErrorCode, type Resource } from '@modelcontextprotocol/server';
import { BrainRefused, BrainUnavailable, type BrainClient } from '../../brain/client.js';
import { MAX_PATH_BYTES } from '../../../ingestion/index.js';
import { badResourceUri, resourceNotFound, resourceUnavailable } from './errors.js';
import { COMPLETION_MAX, type ResourceKind } from './kind.js';

export const NOTE_URI_PREFIX = 'brain://knowledge/';

/** The longest note URI: the brain's longest path (MAX_PATH_BYTES), every byte percent-encoded. */
export const NOTE_URI_MAX_CHARS = NOTE_URI_PREFIX.length + 3 * MAX_PATH_BYTES;

/** The URI of the note at `path` (relative to knowledge/). */
export const noteUri = (path: string) => NOTE_URI_PREFIX + path.split('/').map(encodeURIComponent).join('/');

/**
 * The note path a URI names, or a clear error. One note has one URI: the form noteUri gives. Anything
 * else is refused rather than folded into it — `..` and `.` segments (plain or percent-encoded), an
 * encoded `/` or `\`, an empty segment (`//`, an absolute path), a query or fragment, a needless
 * escape (`%61` for `a`), a path that is no markdown file. What is left, the brain checks again.
 */
export function notePathOf(uri: string): string {
  if (!uri.startsWith(NOTE_URI_PREFIX)) throw badResourceUri(uri, `a note's URI starts with ${NOTE_URI_PREFIX}`);
  if (uri.length > NOTE_URI_MAX_CHARS) throw badResourceUri(uri, `too long: a note URI has at most ${NOTE_URI_MAX_CHARS} characters (a path of at most ${MAX_PATH_BYTES} bytes)`);
  const rest = uri.slice(NOTE_URI_PREFIX.length);
  if (rest === '') throw badResourceUri(uri, 'it names no note: add the path under knowledge/, e.g. testing/flaky-tests.md');
  if (/[?#]/.test(rest)) throw badResourceUri(uri, 'a note URI has no query or fragment (encode ? as %3F and # as %23)');
  const segments = rest.split('/').map((segment) => {
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      throw badResourceUri(uri, `"${segment.slice(0, 60)}" is not valid percent-encoded UTF-8`);
    }
    if (name === '') throw badResourceUri(uri, 'an empty folder name (// or an absolute path): the path is relative to knowledge/');
    if (name === '.' || name === '..') throw badResourceUri(uri, '. and .. segments are refused: a note URI names a note under knowledge/ directly');
    if (/[/\\]/.test(name)) throw badResourceUri(uri, 'a percent-encoded / or \\ inside a name is refused: separate folders with a plain /');
    return name;
  });
  const path = segments.join('/');
  const canonical = noteUri(path);
  if (canonical !== uri) throw badResourceUri(uri, `not in the one form a note's URI takes; read ${canonical.slice(0, 200)}`);
  if (!path.endsWith('.md')) throw badResourceUri(uri, 'notes are markdown files: the path ends in .md');
  return path;
}

export function noteResources(brain: BrainClient): ResourceKind {
  return {
    prefix: NOTE_URI_PREFIX,

    async page(after, limit, signal) {
      const listing = await brain.list({ ...(after === undefined ? {} : { after }), limit }, signal).catch((error: unknown) => {
        if (error instanceof BrainRefused) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid cursor: ${error.message}`);
        throw error;
      });
      const resources = listing.notes.map((note): Resource => ({ uri: noteUri(note.path), name: note.path, title: note.title, mimeType: 'text/markdown' }));
      return { resources, next: listing.next };
    },

    template: { name: 'note', uriTemplate: `${NOTE_URI_PREFIX}{+path}`, title: 'Brain note', description: 'A note of the brain, as written.', mimeType: 'text/markdown' },

    async complete(argument, value) {
      if (argument !== 'path') return [];
      // A brain that cannot answer completes nothing rather than failing the client's typing.
      const listing = await brain.list({ prefix: value, limit: COMPLETION_MAX + 1 }).catch(() => null);
      return listing?.notes.map((note) => note.path) ?? [];
    },

    async read(uri, signal) {
      const path = notePathOf(uri);
      try {
        const note = await brain.readMarkdown(path, signal);
        return { contents: [{ uri: noteUri(note.path), mimeType: 'text/markdown', text: note.text }] };
      } catch (error) {
        if (error instanceof BrainRefused && error.status === 404) throw resourceNotFound(uri, 'no such note in the brain');
        // The note exists but is too large to be read whole (MAX_NOTE_READ_BYTES): the URI is fine.
        if (error instanceof BrainRefused && error.status === 422) throw resourceUnavailable(uri, error.message);
        if (error instanceof BrainRefused) throw badResourceUri(uri, error.message);
        if (error instanceof BrainUnavailable) throw resourceUnavailable(uri, `the brain is unavailable: ${error.message}`);
        throw error;
      }
    },
  };
}
