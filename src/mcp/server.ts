/**
 * What the MCP server answers, made once per process (the surface), and the SDK `Server` that answers
 * one request or one 2025-era session with it: every method handled here, in one place, by the
 * modules named for it. The 2026-07-28 protocol builds a `Server` for each request, so building one
 * is setting eight handlers and no more.
 */
import { ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import type { Deps } from '../deps.js';
import type { McpMetrics } from '../metrics/mcp-metrics.js';
import { TOOLS } from '../tools/index.js';
import type { CallGate } from './call-gate.js';
import { prompts, type Prompts } from './prompts.js';
import { resources, type Resources } from './resources/index.js';
import { toolCalls, type CallTool } from './tool-calls.js';
import { compactToolList } from './tool-list.js';

export const INSTRUCTIONS =
  "Consult local models with a senior engineer's discipline (TDD, review, debug, spec), primed with the team's brain and this session's history. Pass project_root and the code (attachments) so the consultant sees it, and the session_id the first answer gives to every later call.";

export interface McpSurface {
  version: string;
  toolList: ReturnType<typeof compactToolList>;
  callTool: CallTool;
  resources: Resources;
  prompts: Prompts;
}

export function mcpSurface(deps: Deps, options: { version: string; gate: CallGate; metrics?: McpMetrics | undefined }): McpSurface {
  return {
    version: options.version,
    toolList: compactToolList(TOOLS),
    callTool: toolCalls(TOOLS, deps, options),
    resources: resources(deps),
    prompts: prompts(deps),
  };
}

export function createMcpServer(surface: McpSurface): Server {
  const server = new Server(
    { name: 'supervisor', version: surface.version },
    {
      // Resources change as notes are written and sessions logged: told by list_changed (2025) and on
      // subscriptions/listen (2026-07-28). No per-resource subscriptions.
      capabilities: { tools: {}, resources: { listChanged: true }, prompts: {}, completions: {}, logging: {} },
      instructions: INSTRUCTIONS,
    },
  );
  server.setRequestHandler('tools/list', () => surface.toolList);
  server.setRequestHandler('tools/call', (request, ctx) => surface.callTool(request, ctx));
  server.setRequestHandler('resources/list', (request, ctx) => surface.resources.list(request.params?.cursor, ctx.mcpReq.signal));
  server.setRequestHandler('resources/templates/list', () => surface.resources.templates);
  server.setRequestHandler('resources/read', (request, ctx) => surface.resources.read(request.params.uri, ctx.mcpReq.signal));
  server.setRequestHandler('prompts/list', () => surface.prompts.list);
  server.setRequestHandler('prompts/get', (request) => surface.prompts.get(request.params.name, request.params.arguments));
  server.setRequestHandler('completion/complete', async (request) => {
    const { ref, argument } = request.params;
    const completed = ref.type === 'ref/prompt' ? await surface.prompts.complete(ref.name, argument) : await surface.resources.complete(ref.uri, argument);
    if (!completed) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `nothing to complete for ${ref.type === 'ref/prompt' ? `prompt ${ref.name}` : `resource template ${ref.uri}`}`);
    return completed;
  });
  return server;
}
