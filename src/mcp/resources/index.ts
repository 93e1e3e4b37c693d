/**
 * The resources: brain notes and session logs (read-only), answered here for every MCP request.
 * resources/list goes a page of RESOURCE_PAGE at a time — notes first, then sessions — with a cursor
 * that says which kind and where in it; a 100k-note brain is never listed in one answer. A read goes
 * to the kind whose prefix the URI has, as sent.
 */
import {
  ProtocolError,
  ProtocolErrorCode,
  type CompleteRequest,
  type CompleteResult,
  type ListResourcesResult,
  type ListResourceTemplatesResult,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/server';
import { BrainUnavailable } from '../../brain/client.js';
import type { Deps } from '../../deps.js';
import { resourceNotFound } from './errors.js';
import { COMPLETION_MAX, type ResourceKind } from './kind.js';
import { noteResources } from './notes.js';
import { sessionResources } from './sessions.js';

/** Resources in one resources/list answer. */
export const RESOURCE_PAGE = 100;

/** Where a listing stands: the kind (an index into the kinds) and the kind's own cursor. */
interface Position {
  kind: number;
  after?: string;
}

export interface Resources {
  list(cursor: string | undefined, signal: AbortSignal): Promise<ListResourcesResult>;
  readonly templates: ListResourceTemplatesResult;
  read(uri: string, signal: AbortSignal): Promise<ReadResourceResult>;
  /** Completes a template's argument; null when `uriTemplate` is none of ours. */
  complete(uriTemplate: string, argument: CompleteRequest['params']['argument']): Promise<CompleteResult | null>;
}

export function resources(deps: Pick<Deps, 'brain' | 'sessions' | 'logger'>): Resources {
  const kinds: ResourceKind[] = [noteResources(deps.brain), sessionResources(deps.sessions)];

  return {
    async list(cursor, signal) {
      let position: Position | null = cursor === undefined ? { kind: 0 } : decodeCursor(cursor, kinds.length);
      const found: Resource[] = [];
      // A page filled across kinds takes a request or two to each; the bound keeps a kind that keeps
      // answering empty pages with a cursor from holding the request forever.
      for (let asked = 0; position && found.length < RESOURCE_PAGE && asked < 2 * kinds.length; asked++) {
        const kind = kinds[position.kind] as ResourceKind;
        let next: string | null = null;
        try {
          const page = await kind.page(position.after, RESOURCE_PAGE - found.length, signal);
          found.push(...page.resources);
          next = page.next;
        } catch (error) {
          // The sessions are still worth listing when the brain is down; reading a note says why it fails.
          if (!(error instanceof BrainUnavailable)) throw error;
          deps.logger.warn({ err: error }, 'resources/list: the brain is unavailable; its notes are left out');
        }
        position = next !== null ? { kind: position.kind, after: next } : position.kind + 1 < kinds.length ? { kind: position.kind + 1 } : null;
      }
      return { resources: found, ...(position ? { nextCursor: encodeCursor(position) } : {}) };
    },

    templates: { resourceTemplates: kinds.map((kind) => kind.template) },

    async read(uri, signal) {
      // A scheme and a host are case-insensitive (RFC 3986): SUPERVISOR://sessions/… is a session too.
      const kind = kinds.find((candidate) => uri.slice(0, candidate.prefix.length).toLowerCase() === candidate.prefix);
      if (!kind) throw resourceNotFound(uri, `this server's resources are ${kinds.map((k) => `${k.prefix}…`).join(' and ')}`);
      return kind.read(uri, signal);
    },

    async complete(uriTemplate, argument) {
      const kind = kinds.find((candidate) => candidate.template.uriTemplate === uriTemplate);
      if (!kind) return null;
      return completion(await kind.complete(argument.name, argument.value));
    },
  };
}

/**
 * Completers ask for one value more than a completion holds, so the answer can say hasMore; the
 * total is then left out, since it would only be a lower bound.
 */
export function completion(values: string[]): CompleteResult {
  if (values.length > COMPLETION_MAX) return { completion: { values: values.slice(0, COMPLETION_MAX), hasMore: true } };
  return { completion: { values, total: values.length, hasMore: false } };
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Cursors this server gave; anything else is the client's mistake (invalid params, as the spec says). */
function decodeCursor(cursor: string, kinds: number): Position {
  let position: unknown;
  try {
    position = cursor.length <= 4096 ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  } catch {
    position = null;
  }
  const { kind, after } = (position ?? {}) as Partial<Position>;
  if (!Number.isInteger(kind) || (kind as number) < 0 || (kind as number) >= kinds || (after !== undefined && typeof after !== 'string')) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor: pass the nextCursor of the page before, as given');
  }
  return { kind: kind as number, ...(after === undefined ? {} : { after }) };
}
