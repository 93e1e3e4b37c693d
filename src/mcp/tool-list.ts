/**
 * tools/list is read into every Claude Code user's context, so it carries nothing that means
 * nothing: the `$schema` URI zod puts on every schema, and `execution: {taskSupport: "forbidden"}`,
 * the spec's default when absent. Open objects say `additionalProperties: true`, the portable
 * spelling, rather than zod's `{}`. A tool's `_meta` (its file arguments) is kept.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';

/** Wraps the tools/list handler McpServer installs (at the first registerTool) as it is installed. */
export function compactToolList(server: McpServer): void {
  const lowLevel = server.server;
  const setRequestHandler = lowLevel.setRequestHandler.bind(lowLevel);
  lowLevel.setRequestHandler = ((schema: unknown, handler: (...args: never[]) => unknown) => {
    if (schema !== ListToolsRequestSchema) return setRequestHandler(schema as never, handler as never);
    return setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
      const result = (await (handler as unknown as (r: typeof request, e: typeof extra) => Promise<ListToolsResult>)(request, extra));
      return {
        ...result,
        tools: result.tools.map(({ execution, inputSchema, outputSchema, ...tool }) => ({
          ...tool,
          inputSchema: portable(inputSchema),
          ...(outputSchema ? { outputSchema: portable(outputSchema) } : {}),
          ...(execution && execution.taskSupport !== 'forbidden' ? { execution } : {}),
        })),
      };
    });
  }) as typeof lowLevel.setRequestHandler;
}

function portable<T extends Record<string, unknown>>(schema: T): T {
  const { $schema: _uri, ...rest } = schema;
  return openObjects(rest) as T;
}

function openObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(openObjects);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === 'additionalProperties' && inner && typeof inner === 'object' && Object.keys(inner).length === 0 ? true : openObjects(inner),
    ]),
  );
}
