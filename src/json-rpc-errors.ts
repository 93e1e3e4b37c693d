/**
 * JSON-RPC errors leave with their message as written. The SDK's McpError puts "MCP error <code>: "
 * before its message, the server sends that message, and the SDK client (Claude Code's) puts the
 * prefix before it once more: users read "MCP error -32602: MCP error -32602: Invalid arguments…".
 * Taking the prefix off at the transport covers every error, ours and those the SDK raises itself
 * (a prompt's arguments, an unknown prompt), whoever threw it.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJSONRPCErrorResponse, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export function sendErrorsAsWritten(transport: Transport): void {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => send(withoutCodePrefix(message), options);
}

function withoutCodePrefix(message: JSONRPCMessage): JSONRPCMessage {
  if (!isJSONRPCErrorResponse(message)) return message;
  const { error } = message;
  const prefix = `MCP error ${error.code}: `;
  return error.message.startsWith(prefix) ? { ...message, error: { ...error, message: error.message.slice(prefix.length) } } : message;
}
