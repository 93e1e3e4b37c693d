/**
 * What the bridge passes through as it is, besides tools: resources (notes and sessions to
 * @-mention), prompts (slash commands), completion of their arguments, and the remote's list_changed
 * notifications. Each is offered only when the remote reached at start offers it, so a remote without
 * them still works behind this bridge. A remote's error reaches the client with its code, message and
 * data (-32602 with the URI for a note that does not exist); a remote that could not answer, the bridge's message.
 */
import { ProtocolError, ProtocolErrorCode, type Client, type RequestOptions, type ServerCapabilities } from '@modelcontextprotocol/client';
import type { HandlerResultTypeMap, RequestMethod, RequestTypeMap, Server } from '@modelcontextprotocol/server';
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

/**
 * An error the remote answered the request with (a JSON-RPC error: its code, message and data), as
 * opposed to the remote not answering (the SDK client's own SdkError: the connection closed, no
 * answer in time, an HTTP failure).
 */
const answeredByRemote = (error: unknown): error is ProtocolError => error instanceof ProtocolError;

/** The error to answer the client with when the remote request failed. */
export function answerError(url: string, error: unknown): ProtocolError {
  if (answeredByRemote(error)) return error;
  return new ProtocolError(ProtocolErrorCode.InternalError, failureMessage(url, error));
}

/** Registers the forwarding of every request the declared capabilities promise. */
export function forwardRequests(server: Server, remote: Remote, capabilities: ServerCapabilities, url: string, log: (line: string) => void): void {
  const forward = <M extends RequestMethod>(method: M, send: (client: Client, params: RequestTypeMap[M]['params'], options: RequestOptions) => Promise<HandlerResultTypeMap[M]>) =>
    server.setRequestHandler(method, async (request, ctx) => {
      try {
        return await remote.use((client, dropped) => send(client, request.params, { signal: AbortSignal.any([ctx.mcpReq.signal, dropped]) }));
      } catch (error) {
        if (!answeredByRemote(error)) log(`${method} failed: ${reason(error)}`);
        throw answerError(url, error);
      }
    });
  if (capabilities.resources) {
    // client.request, not the typed list verbs: called without a cursor they fetch every page at once
    // (SDK v2), and a page is what the client asked for (a 100k-note brain is never listed in one answer).
    forward('resources/list', (client, params, options) => client.request({ method: 'resources/list', params }, options));
    forward('resources/templates/list', (client, params, options) => client.request({ method: 'resources/templates/list', params }, options));
    forward('resources/read', (client, params, options) => client.readResource(params, options));
  }
  if (capabilities.prompts) {
    forward('prompts/list', (client, params, options) => client.request({ method: 'prompts/list', params }, options));
    forward('prompts/get', (client, params, options) => client.getPrompt(params, options));
  }
  if (capabilities.completions) forward('completion/complete', (client, params, options) => client.complete(params, options));
}

/**
 * Passes the remote's list_changed notifications on, those the bridge declared. After a reconnection
 * (the remote restarted, or dropped the session), every list is announced as changed: what changed
 * while the bridge was not connected was told to no one.
 */
export function relayListChanges(server: () => Server | null, remote: Remote, capabilities: ServerCapabilities): void {
  const announced: ListChanged[] = [];
  if (capabilities.resources?.listChanged) announced.push('notifications/resources/list_changed');
  if (capabilities.prompts?.listChanged) announced.push('notifications/prompts/list_changed');
  if (capabilities.tools?.listChanged) announced.push('notifications/tools/list_changed');
  // Before the client's first request, or after it left, there is no one to tell.
  const tell = (method: ListChanged) => void server()?.notification({ method }).catch(() => undefined);
  remote.onListChanged = (method) => {
    if (announced.includes(method)) tell(method);
  };
  remote.onReconnected = () => announced.forEach(tell);
}
