/**
 * How an MCP tool is defined: one `defineTool` for all of them. The input shape's inferred type is the
 * handler's argument type; the MCP annotations follow from the tool's kind; the arguments that name
 * files are declared here and published in tools/list, where the bridge reads them.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { describeIssue } from '../../common/brain-contract.js';
import type { CallContext } from '../consult/consultation.js';
import type { Deps } from '../deps.js';
import { FILE_ARGUMENTS_META, OUTPUT_FILE_META } from './file-arguments.js';
import type { Attempt } from '../llm/chain.js';

/**
 * consult: reads and advises, changes nothing but its own session log; asks models elsewhere.
 * read: reads only, the same answer for the same question. write: changes or replaces what is stored.
 */
export type ToolKind = 'consult' | 'read' | 'write';


export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What a handler answers with: the MCP result's text and structured content, and what metrics count. */
export interface ToolAnswer {
  text: string;
  structured: Record<string, unknown>;
  /** The model that answered (consulting tools). */
  model?: string;
  /** Every model asked, in order (consulting tools). */
  attempts?: Attempt[];
  /** Said beside the answer, as further text (a session log not written). */
  notes?: string[];
}

/** What a handler gets besides its arguments. */
export interface ToolUse {
  deps: Deps;
  call: CallContext;
}

/** The server a tool registers with: where its dependencies and its boundary come from. */
export interface ToolHost {
  deps: Deps;
  /** The call's context: its session, signal, progress and notices. */
  context(args: { session_id?: unknown }, extra: Extra): CallContext;
  /** The tool boundary: an answer or an error as the MCP result, metrics counted. */
  answer(tool: string, work: () => Promise<ToolAnswer>): Promise<CallToolResult>;
}

/** A handler's arguments: each argument of the shape, as its schema outputs it (optional ones may be undefined). */
export type Input<Shape extends z.ZodRawShape> = { [K in keyof Shape]: z.output<Shape[K]> };

/** The arguments of `Shape` that can name files: a path, or a list of paths. */
export type FileArgument<Shape extends z.ZodRawShape> = {
  [K in keyof Shape & string]: z.output<Shape[K]> extends string | string[] | undefined ? K : never;
}[keyof Shape & string];

export interface ToolSpec<Shape extends z.ZodRawShape> {
  name: string;
  /** For people: what a client shows instead of the name. */
  title: string;
  description: string;
  kind: ToolKind;
  /** Consulting tools: the models.yaml family whose chain the tool asks when it has none of its own. */
  family?: string;
  /** `read` tools: whether the answer comes from beyond this server (status asks LiteLLM). */
  reachesNetwork?: boolean;
  input: Shape;
  output: z.ZodType;
  /** Arguments that name files (relative to project_root), to attach: paths or lists of paths. */
  fileArguments?: ReadonlyArray<keyof Shape & string>;
  /** The argument naming a file (relative to project_root) to save the answer to: the bridge writes it. */
  outputFile?: keyof Shape & string;
  run(args: Input<Shape>, use: ToolUse): Promise<ToolAnswer>;
}

export interface Tool {
  readonly name: string;
  readonly kind: ToolKind;
  readonly family?: string | undefined;
  readonly annotations: ToolAnnotations;
  readonly fileArguments: readonly string[];
  /** Why these arguments are refused, in one line, or null when they are good. */
  argumentProblem(args: unknown): string | null;
  register(server: McpServer, host: ToolHost): void;
}

export function annotationsOf(kind: ToolKind, reachesNetwork = false): ToolAnnotations {
  switch (kind) {
    case 'consult':
      return { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true };
    case 'read':
      return { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: reachesNetwork };
    case 'write':
      return { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false };
  }
}

export function defineTool<Shape extends z.ZodRawShape>(spec: ToolSpec<Shape>): Tool {
  const annotations = annotationsOf(spec.kind, spec.reachesNetwork);
  const fileArguments: readonly string[] = spec.fileArguments ?? [];
  // The SDK types a handler's arguments by a conditional type it cannot resolve for a generic shape:
  // the shape is registered as a plain one, and its arguments — validated by the SDK against this
  // very shape — are given their inferred type here, once for every tool.
  const input: z.ZodRawShape = spec.input;
  const inputObject = z.object(input);
  return {
    name: spec.name,
    kind: spec.kind,
    family: spec.family,
    annotations,
    fileArguments,
    argumentProblem(args) {
      const checked = inputObject.safeParse(args);
      return checked.success ? null : refusal(checked.error);
    },
    register(server, host) {
      server.registerTool(
        spec.name,
        {
          title: spec.title,
          description: spec.description,
          inputSchema: input,
          outputSchema: spec.output,
          annotations,
          ...(fileArguments.length > 0 || spec.outputFile
            ? { _meta: { ...(fileArguments.length > 0 ? { [FILE_ARGUMENTS_META]: fileArguments } : {}), ...(spec.outputFile ? { [OUTPUT_FILE_META]: spec.outputFile } : {}) } }
            : {}),
        },
        (args, extra) =>
          host.answer(spec.name, async () => {
            const answer = await spec.run(args as Input<Shape>, { deps: host.deps, call: host.context(args, extra) });
            return withUnsavedOutput(answer, spec.outputFile === undefined ? undefined : (args as Record<string, unknown>)[spec.outputFile]);
          }),
      );
    },
  };
}

/**
 * An output path that reached the server was not written: the server may be on another machine and
 * writes no files for a caller (the bridge, where the code is, writes it and does not forward it).
 */
function withUnsavedOutput(answer: ToolAnswer, path: unknown): ToolAnswer {
  if (typeof path !== 'string' || path === '') return answer;
  return { ...answer, notes: [...(answer.notes ?? []), `Not saved to ${path}: the server writes no files; save the text above there yourself.`] };
}

/**
 * A refused argument in the words the brain's HTTP API uses (`title must not contain …`), so
 * brain_write and POST /write refuse alike; a rule that already names its argument (`files: at most
 * 200 entries`) is given as it is.
 */
function refusal(error: z.ZodError): string {
  const first = error.issues[0]?.path[0];
  const message = error.issues[0]?.message ?? 'invalid arguments';
  return first !== undefined && message.startsWith(String(first)) ? message : describeIssue(error);
}
