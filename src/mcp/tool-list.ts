/**
 * tools/list is read into every Claude Code user's context, so it carries nothing that means
 * nothing: the `$schema` URI zod puts on every schema, and `execution: {taskSupport: "forbidden"}`,
 * the spec's default when absent. Open objects leave `additionalProperties` out, JSON Schema's default,
 * rather than say zod's `{}` (or `true`) on every one. Size and pattern bounds (`maxLength`, `minLength`, `maxItems`,
 * `pattern`) are left out: the server checks every argument anyway, and its refusal names the bound
 * in words (docs/mcp.md, "Limits"). Annotations carry the hints that differ from the MCP defaults
 * (readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint true), which a client
 * assumes for a hint left out, and that mean something: destructiveHint and idempotentHint only do
 * for a tool that is not read-only. A tool's `_meta` (its file arguments, its output file) is kept.
 */
import type { ListToolsResult, Tool as ToolListing, ToolAnnotations } from '@modelcontextprotocol/server';
import type { Tool } from '../tools/define.js';

/** The tools/list answer: the same for every request, so made once. */
export function compactToolList(tools: readonly Tool[]): ListToolsResult {
  return { tools: tools.map((tool) => compact(tool.listing)) };
}

function compact({ execution, inputSchema, outputSchema, annotations, ...tool }: ToolListing): ToolListing {
  return {
    ...tool,
    ...(annotations ? { annotations: withoutDefaults(annotations) } : {}),
    inputSchema: portable(inputSchema),
    ...(outputSchema ? { outputSchema: portable(outputSchema) } : {}),
    ...(execution && execution.taskSupport !== 'forbidden' ? { execution } : {}),
  };
}

const HINT_DEFAULTS: Partial<Record<keyof ToolAnnotations, boolean>> = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

/** The MCP spec: "meaningful only when readOnlyHint == false". */
const WRITE_HINTS = new Set(['destructiveHint', 'idempotentHint']);

function withoutDefaults(annotations: ToolAnnotations): ToolAnnotations {
  return Object.fromEntries(
    Object.entries(annotations).filter(
      ([hint, value]) => HINT_DEFAULTS[hint as keyof ToolAnnotations] !== value && !(annotations.readOnlyHint && WRITE_HINTS.has(hint)),
    ),
  );
}

function portable<T extends Record<string, unknown>>(schema: T): T {
  const { $schema: _uri, ...rest } = schema;
  return openObjects(rest) as T;
}

/** `true`, or zod's `{}` for an object that takes any other key. */
function isOpen(value: unknown): boolean {
  return value === true || (!!value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);
}

const UNPUBLISHED_BOUNDS = new Set(['maxLength', 'minLength', 'maxItems', 'pattern']);

function openObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(openObjects);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      // a property named like a bound holds a schema (an object), never a string or a number
      .filter(([key, inner]) => !(UNPUBLISHED_BOUNDS.has(key) && typeof inner !== 'object'))
      .filter(([key, inner]) => !(key === 'additionalProperties' && isOpen(inner)))
      .map(([key, inner]) => [key, openObjects(inner)]),
  );
}
