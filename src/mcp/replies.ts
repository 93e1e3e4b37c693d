/** Answers /mcp writes itself: JSON-RPC errors, and SDK transports writing to the raw response. */
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';

export function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

/**
 * Hands the response to an SDK transport, which writes it itself (JSON or an event stream); a
 * transport that throws gets a 500 answered, or its stream ended, never a hung request.
 */
export async function serveRaw(reply: FastifyReply, logger: Logger, handle: () => Promise<unknown>): Promise<void> {
  reply.hijack();
  try {
    await handle();
  } catch (error) {
    logger.error({ err: error }, 'MCP request failed');
    if (!reply.raw.headersSent) {
      reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(jsonRpcError(-32603, 'Internal error; see the server log')));
    } else {
      reply.raw.end();
    }
  }
}
