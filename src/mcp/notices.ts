/**
 * Log messages about a tool call (a model failing over to the next), sent on the call's own response
 * stream. The SDK's `sendLoggingMessage` takes no request to relate to, so its messages go to the
 * separate GET stream only, and a client that holds none (many do not open it) never sees them.
 * Sent with the call's `sendNotification` they ride on the POST's answer instead; the level the
 * client asked for (logging/setLevel) is kept here, since the SDK keeps its own privately.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LoggingLevelSchema, SetLevelRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { Extra } from '../tools/define.js';

/** Sends one log message about the call it was made for. */
export type CallLog = (level: LoggingLevel, message: string) => void;

const SEVERITY = new Map(LoggingLevelSchema.options.map((level, index) => [level, index]));

/** A sender of a call's log messages, for one McpServer (one MCP session, so one level). */
export function callNotices(server: McpServer): (extra: Extra) => CallLog {
  let threshold: LoggingLevel | undefined;
  server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
    threshold = request.params.level;
    return {};
  });
  const wanted = (level: LoggingLevel) => threshold === undefined || (SEVERITY.get(level) ?? 0) >= (SEVERITY.get(threshold) ?? 0);
  return (extra) => (level, message) => {
    if (!wanted(level)) return;
    void extra.sendNotification({ method: 'notifications/message', params: { level, logger: 'supervisor', data: message } }).catch(() => undefined);
  };
}
