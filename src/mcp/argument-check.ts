/**
 * Arguments are checked before the SDK sees them, so a refusal is one line naming the argument and
 * its rule — the words POST /write and POST /query use — rather than the SDK's "MCP error -32602:
 * Input validation error: …" wrapping. The SDK still checks them again; they pass.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, type CallToolRequest, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Tool } from '../tools/define.js';
import type { CallMetrics } from './call-metrics.js';
import { toolError } from './errors.js';
import { intercept } from './intercept.js';

export function checkArguments(server: McpServer, tools: readonly Tool[], metrics: CallMetrics): void {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  intercept<CallToolRequest, CallToolResult>(server, CallToolRequestSchema, (callTool) => async (request, extra) => {
    const problem = byName.get(request.params.name)?.argumentProblem(request.params.arguments ?? {});
    if (!problem) return callTool(request, extra);
    const refusal = toolError(problem);
    metrics.failed(request.params.name, 'refused', undefined, refusal);
    return refusal;
  });
}
