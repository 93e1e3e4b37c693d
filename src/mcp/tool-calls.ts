/**
 * tools/call, one path from the request to the tool, in order: the tool by name; its arguments
 * checked (refused in one line naming the argument and its rule, the words POST /write and POST /query
 * use); the consultation session it belongs to; a place among the calls in flight
 * (SUPERVISOR_MAX_CALLS); the tool run inside the boundary (its answer or error as the MCP result,
 * metrics counted); and around all of it, the call's one log line.
 */
import { randomUUID } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode, type CallToolRequest, type CallToolResult, type ServerContext } from '@modelcontextprotocol/server';
import type { CallContext } from '../consult/consultation.js';
import type { Deps } from '../deps.js';
import type { McpMetrics } from '../metrics/mcp-metrics.js';
import type { Tool } from '../tools/define.js';
import { callMetrics } from './call-metrics.js';
import type { CallGate } from './call-gate.js';
import { toolBoundary, toolError } from './errors.js';

export type CallTool = (request: CallToolRequest, ctx: ServerContext) => Promise<CallToolResult>;

/** A log line keeps this much of a refused session_id, which may be anything up to the argument limit. */
const LOGGED_SESSION_CHARS = 128;

export function toolCalls(tools: readonly Tool[], deps: Deps, options: { gate: CallGate; metrics?: McpMetrics | undefined }): CallTool {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const metrics = callMetrics(options.metrics, deps.models, deps.logger);
  const boundary = toolBoundary(metrics, deps.logger);

  return async (request, ctx) => {
    const name = request.params.name;
    const tool = byName.get(name);
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `no tool named ${JSON.stringify(name.slice(0, 100))}: tools/list names them`);
    const args = request.params.arguments ?? {};
    const session = sessionOf(tool, args.session_id, ctx);
    const refused = (problem: string) => {
      const refusal = toolError(problem);
      metrics.failed(name, 'refused', undefined, refusal);
      return refusal;
    };
    return metrics.logged(name, session.id.slice(0, LOGGED_SESSION_CHARS), async () => {
      const parsed = tool.parse(args);
      if ('problem' in parsed) return refused(parsed.problem);
      if (session.problem) return refused(session.problem);
      const entry = options.gate.enter();
      if ('refused' in entry) {
        const refusal = toolError(entry.refused);
        metrics.refused('busy', refusal);
        return refusal;
      }
      try {
        const call = callContext(ctx, session, AbortSignal.any([ctx.mcpReq.signal, entry.stopped]));
        return await boundary(name, () => tool.run(parsed.args, { deps, call }));
      } finally {
        entry.leave();
        // A cancelled call gets no answer (the spec forbids one), so its response stream would stay
        // open for good: end it.
        if (ctx.mcpReq.signal.aborted) ctx.http?.closeSSE?.();
      }
    });
  };
}

interface Session {
  id: string;
  started: boolean;
  /** Why the call cannot go on without a session_id. */
  problem?: string;
}

/**
 * The consultation session a call belongs to: the one it names; else the 2025-era client's own MCP
 * session (which kept history without an id before sessions were handles); else, for a consulting
 * tool, a new one, minted here, that the answer gives back to be passed on.
 */
function sessionOf(tool: Tool, named: unknown, ctx: ServerContext): Session {
  if (typeof named === 'string') return { id: named, started: false };
  if (ctx.sessionId) return { id: ctx.sessionId, started: false };
  if (tool.session === 'start') return { id: randomUUID(), started: true };
  if (tool.session === 'read') {
    return { id: 'no-session', started: false, problem: 'session_id is needed: pass the session_id the consulting answers of the session gave (the supervisor bridge passes its own)' };
  }
  return { id: 'no-session', started: false };
}

function callContext(ctx: ServerContext, session: Session, signal: AbortSignal): CallContext {
  const token = ctx.mcpReq._meta?.progressToken;
  let progress = 0;
  return {
    sessionId: session.id,
    sessionStarted: session.started,
    signal,
    // On the call's own response stream, at the level the client asked for: logging/setLevel in the
    // 2025 era, the request's own log level in 2026-07-28 (none asked, none sent).
    notice: (message) => void ctx.mcpReq.log('warning', message, 'supervisor').catch(() => undefined),
    onProgress:
      token === undefined
        ? undefined
        : (message) => {
            progress++;
            void ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => undefined);
          },
  };
}
