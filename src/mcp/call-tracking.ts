/**
 * Tells the HTTP layer of every tool call as it starts and ends (its notion of a busy session), lets
 * it refuse a call (too many in flight) and stop one at shutdown.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, type CallToolRequest, type CallToolResult, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { CallMetrics } from './call-metrics.js';
import { toolError } from './errors.js';
import { intercept } from './intercept.js';

export interface CallTracker {
  /**
   * Called as a tool call starts: why it may not run (too many in flight), or `stopped`, aborted
   * (with a CallStopped reason) when the server stops the call at shutdown, and `end`, to call as
   * the call ends, however it ends.
   */
  begin(call: { requestId: RequestId; signal: AbortSignal }): { refused: string } | { stopped: AbortSignal; end(): void };
}

/**
 * Wraps the tools/call handler (installed by McpServer at the first registerTool) so the tracker
 * sees every call begin and end, and every handler's signal also aborts when the server stops.
 */
export function trackCalls(server: McpServer, calls: CallTracker, metrics: CallMetrics): void {
  intercept<CallToolRequest, CallToolResult>(server, CallToolRequestSchema, (callTool) => async (request, extra) => {
    const call = calls.begin(extra);
    if ('refused' in call) {
      const refusal = toolError(call.refused);
      metrics.refused('busy', refusal);
      return refusal;
    }
    try {
      return await callTool(request, { ...extra, signal: AbortSignal.any([extra.signal, call.stopped]) });
    } finally {
      call.end();
    }
  });
}

/**
 * Wraps every tools/call (installed first, so it is the outermost: refusals for a busy server and
 * for bad arguments are logged too) so it ends with its one log line (call-metrics.ts).
 */
export function logCalls(server: McpServer, metrics: CallMetrics): void {
  intercept<CallToolRequest, CallToolResult>(server, CallToolRequestSchema, (callTool) => (request, extra) => {
    const named = request.params.arguments?.session_id;
    // A refused session_id may be anything up to the argument limit: the log keeps its start.
    const session = typeof named === 'string' ? named.slice(0, 128) : (extra.sessionId ?? 'no-session');
    return metrics.logged(request.params.name, session, () => callTool(request, extra));
  });
}
