/**
 * What the bridge passes through as it is, besides tools: resources (notes and sessions to
 * @-mention), prompts (slash commands), completion of their arguments, and the remote's list_changed
 * notifications. Each is offered only when the remote reached at start offers it, so a remote without
 * them still works behind this bridge. A remote's error reaches the client with its code, message and
 * data (-32002 for a note that does not exist); a remote that could not answer, the bridge's message.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { failureMessage, reason, type ListChanged, type Remote } from './remote.js';

/**
 * What the bridge declares to its client: tools and logging always (its own), the rest as the remote
 * declares it. `subscribe` is never declared: a subscription would not outlive a reconnection (a new
 * MCP session), and the server offers none.
 */
export function bridgeCapabilities(remote: ServerCapabilities | undefined): ServerCapabilities {
  const listChanged = (declared: { listChanged?: boolean | undefined } | undefined) => (declared?.listChanged ? { listChanged: true } : {});
  return {
    tools: listChanged(remote?.tools),
    logging: {},
    ...(remote?.resources ? { resources: listChanged(remote.resources) } : {}),
    ...(remote?.prompts ? { prompts: listChanged(remote.prompts) } : {}),
    ...(remote?.completions ? { completions: {} } : {}),
  };
}

/** The SDK client's own errors (the connection closed, no answer in time): the remote said nothing. */
const LOCAL_CODES = new Set<number>([ErrorCode.ConnectionClosed, ErrorCode.RequestTimeout]);

/** An error the remote answered the request with, as opposed to the remote not answering. */
const answeredByRemote = (error: unknown): error is McpError => error instanceof McpError && !LOCAL_CODES.has(error.code);

/** The error to answer the client with when the remote request failed. */
export function answerError(url: string, error: unknown): McpError {
  // Sent on as it came; the transport takes off the "MCP error N: " the client put before the
  // remote's message (src/json-rpc-errors.ts).
  if (answeredByRemote(error)) return error;
  // Not a JSON-RPC code: a StreamableHTTPError's `code` is an HTTP status.
  return new McpError(ErrorCode.InternalError, failureMessage(url, error));
}

/** Registers the forwarding of every request the declared capabilities promise. */
export function forwardRequests(server: Server, remote: Remote, capabilities: ServerCapabilities, url: string, log: (line: string) => void): void {
  const forward =
    <Q, R>(method: string, send: (client: Client, request: Q, options: RequestOptions) => Promise<R>) =>
    async (request: Q, extra: { signal: AbortSignal }): Promise<R> => {
      try {
        return await remote.use((client, dropped) => send(client, request, { signal: AbortSignal.any([extra.signal, dropped]) }));
      } catch (error) {
        if (!answeredByRemote(error)) log(`${method} failed: ${reason(error)}`);
        throw answerError(url, error);
      }
    };
  if (capabilities.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, forward('resources/list', (client, { params }, options) => client.listResources(params, options)));
    server.setRequestHandler(
      ListResourceTemplatesRequestSchema,
      forward('resources/templates/list', (client, { params }, options) => client.listResourceTemplates(params, options)),
    );
    server.setRequestHandler(ReadResourceRequestSchema, forward('resources/read', (client, { params }, options) => client.readResource(params, options)));
  }
  if (capabilities.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, forward('prompts/list', (client, { params }, options) => client.listPrompts(params, options)));
    server.setRequestHandler(GetPromptRequestSchema, forward('prompts/get', (client, { params }, options) => client.getPrompt(params, options)));
  }
  if (capabilities.completions) {
    server.setRequestHandler(CompleteRequestSchema, forward('completion/complete', (client, { params }, options) => client.complete(params, options)));
  }
}

/**
 * Passes the remote's list_changed notifications on, those the bridge declared. After a reconnection
 * (the remote restarted, or dropped the session), every list is announced as changed: what changed
 * while the bridge was not connected was told to no one.
 */
export function relayListChanges(server: Server, remote: Remote, capabilities: ServerCapabilities): void {
  const announced: ListChanged[] = [];
  if (capabilities.resources?.listChanged) announced.push('notifications/resources/list_changed');
  if (capabilities.prompts?.listChanged) announced.push('notifications/prompts/list_changed');
  if (capabilities.tools?.listChanged) announced.push('notifications/tools/list_changed');
  // Before the client's initialize, or after it left, there is no one to tell.
  const tell = (method: ListChanged) => void server.notification({ method }).catch(() => undefined);
  remote.onListChanged = (method) => {
    if (announced.includes(method)) tell(method);
  };
  remote.onReconnected = () => announced.forEach(tell);
}
