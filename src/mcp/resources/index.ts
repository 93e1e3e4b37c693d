/**
 * The resources of one MCP session: brain notes and session logs (read-only). McpServer lists a
 * template's resources all at once, so resources/list is answered here instead, a page of
 * RESOURCE_PAGE at a time — notes first, then sessions — with a cursor that says which kind and
 * where in it; a 100k-note brain is never listed in one answer. Reads are checked on the URI as sent,
 * before the SDK parses it as a URL and folds `..` segments away.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CompleteRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CompleteRequest,
  type CompleteResult,
  type ListResourcesRequest,
  type ListResourcesResult,
  type ReadResourceRequest,
  type ReadResourceResult,
  type Resource,
} from '@modelcontextprotocol/sdk/types.js';
import { BrainUnavailable } from '../../brain/client.js';
import type { Deps } from '../../deps.js';
import { intercept } from '../intercept.js';
import type { ResourceKind } from './kind.js';
import { noteResources } from './notes.js';
import { sessionResources } from './sessions.js';

/** Resources in one resources/list answer. */
export const RESOURCE_PAGE = 100;

/** Where a listing stands: the kind (an index into the kinds) and the kind's own cursor. */
interface Position {
  kind: number;
  after?: string;
}

/** Registers the resources on `server`; call before anything else registers (intercept). */
export function registerResources(server: McpServer, deps: Pick<Deps, 'brain' | 'sessions' | 'logger'>): void {
  const kinds: ResourceKind[] = [noteResources(deps.brain), sessionResources(deps.sessions)];

  intercept<ListResourcesRequest, ListResourcesResult>(server, ListResourcesRequestSchema, () => async (request, extra) => {
    let position: Position | null = request.params?.cursor === undefined ? { kind: 0 } : decodeCursor(request.params.cursor, kinds.length);
    const resources: Resource[] = [];
    // A page filled across kinds takes a request or two to each; the bound keeps a kind that keeps
    // answering empty pages with a cursor from holding the request forever.
    for (let asked = 0; position && resources.length < RESOURCE_PAGE && asked < 2 * kinds.length; asked++) {
      const kind = kinds[position.kind] as ResourceKind;
      let next: string | null = null;
      try {
        const page = await kind.page(position.after, RESOURCE_PAGE - resources.length, extra.signal);
        resources.push(...page.resources);
        next = page.next;
      } catch (error) {
        // The sessions are still worth listing when the brain is down; reading a note says why it fails.
        if (!(error instanceof BrainUnavailable)) throw error;
        deps.logger.warn({ err: error }, 'resources/list: the brain is unavailable; its notes are left out');
      }
      position = next !== null ? { kind: position.kind, after: next } : position.kind + 1 < kinds.length ? { kind: position.kind + 1 } : null;
    }
    return { resources, ...(position ? { nextCursor: encodeCursor(position) } : {}) };
  });

  intercept<ReadResourceRequest, ReadResourceResult>(server, ReadResourceRequestSchema, (read) => async (request, extra) => {
    const uri = request.params.uri;
    kinds.find((kind) => uri.startsWith(kind.prefix))?.check(uri);
    return read(request, extra);
  });

  // Completers ask for one value more than a completion holds, so the SDK says hasMore; the total it
  // then gives (101) is only a lower bound, so it is left out.
  intercept<CompleteRequest, CompleteResult>(server, CompleteRequestSchema, (complete) => async (request, extra) => {
    const result = await complete(request, extra);
    if (!result.completion.hasMore) return result;
    const { total: _lowerBound, ...completion } = result.completion;
    return { ...result, completion };
  });

  for (const kind of kinds) kind.register(server);
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
    throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor: pass the nextCursor of the page before, as given');
  }
  return { kind: kind as number, ...(after === undefined ? {} : { after }) };
}
