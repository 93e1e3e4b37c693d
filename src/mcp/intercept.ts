/**
 * McpServer installs its own tools/list and tools/call handlers (at the first registerTool). What we
 * add around them — a compact tool list, call tracking, argument checks — wraps the installed
 * handler as it is installed.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
export type Handler<Request, Result> = (request: Request, extra: Extra) => Promise<Result>;

export function intercept<Request, Result>(
  server: McpServer,
  schema: unknown,
  wrap: (handler: Handler<Request, Result>) => Handler<Request, Result>,
): void {
  const lowLevel = server.server;
  const setRequestHandler = lowLevel.setRequestHandler.bind(lowLevel);
  lowLevel.setRequestHandler = ((requestSchema: unknown, handler: unknown) => {
    const installed = requestSchema === schema ? wrap(handler as Handler<Request, Result>) : handler;
    return setRequestHandler(requestSchema as never, installed as never);
  }) as typeof lowLevel.setRequestHandler;
}
