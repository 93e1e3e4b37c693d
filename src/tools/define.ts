/**
 * How an MCP tool is defined: one `defineTool` for all of them. The input shape's inferred type is the
 * handler's argument type; the MCP annotations follow from the tool's kind; the arguments that name
 * files are declared here and published in tools/list, where the bridge reads them. A tool is plain
 * data and a function: src/mcp/tool-calls.ts checks its arguments and runs it, src/mcp/tool-list.ts
 * lists it.
 */
import type { Tool as ToolListing, ToolAnnotations } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { describeIssue } from '../../common/brain-contract.js';
import type { CallContext } from '../consult/consultation.js';
import type { Deps } from '../deps.js';
import { FILE_ARGUMENTS_META, OUTPUT_FILE_META } from '../../common/consultation-contract.js';
import type { Attempt } from '../llm/chain.js';

/**
 * What a tool does to the world around it, from which its MCP annotations follow (`annotationsOf`).
 * - consult: asks models (beyond this server) and advises; changes nothing of the user's, unless it
 *   `addsNotes`. Its line in the session log is bookkeeping, as an access log is: it records the call
 *   itself, for the session's later consultations, and touches no file or note.
 * - read: reads only this server's stores (or, `reachesNetwork`, asks LiteLLM too).
 * - write: changes what is stored; replaces a note with mode `overwrite`.
 */
export type ToolKind = 'consult' | 'read' | 'write';


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
  /**
   * What the tool does with a consultation session (`session_id`): `start` one when the call names
   * none, or `read` the one named (retrospective, trainer). Without it, the tool has none.
   */
  session?: 'start' | 'read';
  /** `read` tools: whether the answer comes from beyond this server (status asks LiteLLM). */
  reachesNetwork?: boolean;
  /**
   * `consult` tools: whether a call may add notes to the brain (`save: true`): it creates notes or
   * appends to one it restates, never replaces or deletes one (src/knowledge/save.ts).
   */
  addsNotes?: boolean;
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
  readonly session?: 'start' | 'read' | undefined;
  /** The tool as tools/list shows it, before src/mcp/tool-list.ts leaves out what means nothing. */
  readonly listing: ToolListing;
  /** The arguments as the tool's input schema makes them, or why they are refused, in one line. */
  parse(args: unknown): { args: Record<string, unknown> } | { problem: string };
  /** Runs the tool on arguments `parse` accepted. */
  run(args: Record<string, unknown>, use: ToolUse): Promise<ToolAnswer>;
}

/**
 * The four hints as the MCP specification defines them (ToolAnnotations, in the same words in its
 * 2025-11-25 and 2026-07-28 revisions): readOnlyHint "does not modify its environment"; destructiveHint
 * "may perform destructive updates", false for "only additive updates"; idempotentHint "repeated calls
 * with the same arguments have no additional effect" (both meaningful only when not read-only);
 * openWorldHint "may interact with an open world of external entities" (a memory tool's is closed).
 * A consultation's answer differs from call to call, so a tool that saves one is never idempotent.
 * spec is `consult` here: this server writes no files (an `output_path` that reaches it is answered
 * "Not saved"); the bridge, which writes it, announces spec as destructive (src/bridge/bridge.ts).
 */
export function annotationsOf(kind: ToolKind, { reachesNetwork = false, addsNotes = false } = {}): ToolAnnotations {
  switch (kind) {
    case 'consult':
      return { readOnlyHint: !addsNotes, destructiveHint: false, idempotentHint: false, openWorldHint: true };
    case 'read':
      return { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: reachesNetwork };
    case 'write':
      return { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false };
  }
}

export function defineTool<Shape extends z.ZodRawShape>(spec: ToolSpec<Shape>): Tool {
  const annotations = annotationsOf(spec.kind, { reachesNetwork: spec.reachesNetwork, addsNotes: spec.addsNotes });
  const fileArguments: readonly string[] = spec.fileArguments ?? [];
  const input = z.object(spec.input);
  const meta = {
    ...(fileArguments.length > 0 ? { [FILE_ARGUMENTS_META]: fileArguments } : {}),
    ...(spec.outputFile ? { [OUTPUT_FILE_META]: spec.outputFile } : {}),
  };
  return {
    name: spec.name,
    kind: spec.kind,
    family: spec.family,
    annotations,
    fileArguments,
    session: spec.session,
    listing: {
      name: spec.name,
      title: spec.title,
      description: spec.description,
      inputSchema: z.toJSONSchema(input, { io: 'input' }) as ToolListing['inputSchema'],
      outputSchema: z.toJSONSchema(spec.output, { io: 'output' }) as ToolListing['outputSchema'],
      annotations,
      ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}),
    },
    parse(args) {
      const checked = input.safeParse(args);
      return checked.success ? { args: checked.data } : { problem: refusal(checked.error) };
    },
    async run(args, use) {
      // parse() gave these arguments: they have the shape's output types.
      const answer = await spec.run(args as Input<Shape>, use);
      return withUnsavedOutput(answer, spec.outputFile === undefined ? undefined : args[spec.outputFile]);
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
export function refusal(error: z.ZodError): string {
  const first = error.issues[0]?.path[0];
  const message = error.issues[0]?.message ?? 'invalid arguments';
  return first !== undefined && message.startsWith(String(first)) ? message : describeIssue(error);
}
