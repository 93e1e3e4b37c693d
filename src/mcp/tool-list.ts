/**
 * tools/list is read into every Claude Code user's context, so it carries nothing that means
 * nothing: the `$schema` URI zod puts on every schema, and `execution: {taskSupport: "forbidden"}`,
 * the spec's default when absent. Open objects say `additionalProperties: true`, the portable
 * spelling, rather than zod's `{}`. Size and pattern bounds (`maxLength`, `minLength`, `maxItems`,
 * `pattern`) are left out: the server checks every argument anyway, and its refusal names the bound
 * in words (docs/mcp.md, "Limits"). A tool's `_meta` (its file arguments) is kept.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type ListToolsRequest, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import { intercept } from './intercept.js';

export function compactToolList(server: McpServer): void {
  intercept<ListToolsRequest, ListToolsResult>(server, ListToolsRequestSchema, (list) => async (request, extra) => {
    const result = await list(request, extra);
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
}

function portable<T extends Record<string, unknown>>(schema: T): T {
  const { $schema: _uri, ...rest } = schema;
  return openObjects(rest) as T;
}

const UNPUBLISHED_BOUNDS = new Set(['maxLength', 'minLength', 'maxItems', 'pattern']);

function openObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(openObjects);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      // a property named like a bound holds a schema (an object), never a string or a number
      .filter(([key, inner]) => !(UNPUBLISHED_BOUNDS.has(key) && typeof inner !== 'object'))
      .map(([key, inner]) => [
        key,
        key === 'additionalProperties' && inner && typeof inner === 'object' && Object.keys(inner).length === 0 ? true : openObjects(inner),
      ]),
  );
}
