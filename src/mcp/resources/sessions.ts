/**
 * Session logs as resources: `supervisor://sessions/{session_id}`, newest first, read as markdown —
 * the log's newest calls (its last SESSION_RESOURCE_BYTES), each as retrospective reads it, and how
 * many earlier calls were left out.
 */
import { ProtocolError, ProtocolErrorCode, type Resource } from '@modelcontextprotocol/server';
import { formatReviewEntry } from '../../consult/session-review.js';
import { SESSION_ENTRY_SEPARATOR } from '../../consult/prompt.js';
import type { SessionStore } from '../../deps.js';
import { BadSessionCursor } from '../../../common/session-log/listing.js';
import { COUNTED_BYTES, SESSION_ID_PATTERN } from '../../session/log.js';
import { badResourceUri, resourceNotFound } from './errors.js';
import { COMPLETION_MAX, type ResourceKind } from './kind.js';

export const SESSION_URI_PREFIX = 'supervisor://sessions/';

/**
 * The most of a log's end a read shows: about 15 to 120 calls (an entry is 0.5 to 4.5 KiB), some
 * 16k tokens at most in the context of the agent that @-mentions it.
 */
export const SESSION_RESOURCE_BYTES = 64 * 1024;

export const sessionUri = (id: string) => `${SESSION_URI_PREFIX}${id}`;

/** What a session resource's id must be, as a refusal says it. */
const SESSION_ID_RULE = 'a session id is 1–128 letters, digits, - or _ (nothing else, no percent-encoding)';

export function sessionResources(sessions: SessionStore): ResourceKind {
  return {
    prefix: SESSION_URI_PREFIX,

    async page(after, limit) {
      const listing = await sessions.list({ ...(after === undefined ? {} : { after }), limit }).catch((error: unknown) => {
        if (error instanceof BadSessionCursor) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid cursor: ${error.message}`);
        throw error;
      });
      const resources = listing.sessions.map(
        ({ id, modified }): Resource => ({
          uri: sessionUri(id),
          name: id,
          title: `Session ${id}`,
          mimeType: 'text/markdown',
          ...(modified ? { annotations: { lastModified: modified } } : {}),
        }),
      );
      return { resources, next: listing.next };
    },

    template: { name: 'session', uriTemplate: `${SESSION_URI_PREFIX}{session_id}`, title: 'Session log', description: "A session's consultations, newest last.", mimeType: 'text/markdown' },

    async complete(argument, value) {
      if (argument !== 'session_id' || (value !== '' && !SESSION_ID_PATTERN.test(value))) return [];
      return (await sessions.list({ prefix: value, limit: COMPLETION_MAX + 1 })).sessions.map((s) => s.id);
    },

    async read(uri) {
      const id = uri.slice(SESSION_URI_PREFIX.length);
      if (!SESSION_ID_PATTERN.test(id)) throw badResourceUri(uri, SESSION_ID_RULE);
      return { contents: [{ uri: sessionUri(id), mimeType: 'text/markdown', text: await sessionMarkdown(sessions, id, uri) }] };
    },
  };
}

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes / 1024} KiB`);

async function sessionMarkdown(sessions: SessionStore, id: string, uri: string): Promise<string> {
  const { entries, earlier, earlierExact } = await sessions.tail(id, SESSION_RESOURCE_BYTES);
  if (entries.length === 0 && earlier === 0) throw resourceNotFound(uri, `session ${id} has no log (no consultation used it)`);
  const lines = [`# Session ${id}`, ''];
  const shown = `${entries.length} call${entries.length === 1 ? '' : 's'}, oldest first`;
  if (earlier === 0) lines.push(`${shown}.`);
  else {
    // Lines, not calls: torn or blank lines before the part read are counted too, never parsed.
    const left = earlierExact ? `${earlier}` : `at least ${earlier}`;
    const counted = earlierExact ? '' : `; only ${size(COUNTED_BYTES)} before them were counted`;
    lines.push(`The newest ${shown}. ${left} earlier log line${earlier === 1 ? '' : 's'} left out: only the log's last ${size(SESSION_RESOURCE_BYTES)} are read${counted}.`);
  }
  return [lines.join('\n'), ...entries.map(formatReviewEntry)].join(SESSION_ENTRY_SEPARATOR);
}
