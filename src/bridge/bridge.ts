/**
 * `supervisor bridge`: a stdio MCP server for clients that speak only stdio, forwarding everything to
 * the MCP server at SUPERVISOR_URL — tool listing and calls, progress, cancellation, log messages;
 * resources, prompts, completion and list_changed notifications when the remote offers them (forward.ts).
 *
 * It runs where the code is, so before a consulting call goes out it reads the files the call names
 * (relative to `project_root`) and attaches them: the remote model sees the code. Which arguments name
 * files, each tool publishes in tools/list (`_meta["supervisor/file_arguments"]`); a tool that
 * publishes none gets nothing attached by name. stdout carries protocol messages only; everything else
 * goes to stderr.
 *
 * It speaks to Claude Code in the protocol era Claude Code opens with (2025 `initialize`, or
 * 2026-07-28), and to the remote in the era the remote offers (remote.ts).
 *
 * One bridge process is one Claude Code session, so it holds one consultation session for its whole
 * life: a call to a tool that takes a `session_id` and names none is given the bridge's. History then
 * works without the model carrying the id, and survives the remote restarting (a new MCP session).
 */
import { randomUUID } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { LOG_LEVEL_META_KEY, type CallToolResult, type LoggingMessageNotification, type ServerCapabilities, type Tool } from '@modelcontextprotocol/client';
import { Server, type CallToolRequest, type ServerContext } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { collectAttachments, MAX_NAMED_FILES, type AttachmentReport } from '../consult/attach.js';
import type { Attachment } from '../consult/prompt.js';
import { consultationOf, FILE_ARGUMENTS_META, OUTPUT_FILE_META } from '../../common/consultation-contract.js';
import { outputLine, outputTarget, writeOutput, type OutputReport } from './output-file.js';
import { connectProblem, failureMessage, reason, Remote, RemoteUnreachable } from './remote.js';
import { answerError, bridgeCapabilities, forwardRequests, relayListChanges } from './forward.js';
import { ProjectRoots } from './roots.js';
import { closingLine } from '../../common/closing-line.js';

export interface BridgeOptions {
  url: string;
  token?: string | undefined;
  fileCapBytes: number;
  totalCapBytes: number;
  /** Folders the bridge may read under besides its working directory (BRIDGE_PROJECT_ROOTS). */
  projectRoots: string[];
  /** At start, how long a server that is not up yet is retried (BRIDGE_CONNECT_SECONDS). */
  connectMs: number;
  version: string;
  /** Default: the process's working directory, where Claude Code starts the bridge (the project). */
  workingDirectory?: string;
}

/** Long model calls are normal: the remote's own timeouts decide, and progress keeps this one alive. */
const CALL_TIMEOUT_MS = 30 * 60_000;

export async function startBridge(options: BridgeOptions, log: (line: string) => void): Promise<{ close(): Promise<void> }> {
  const remote = new Remote(options);
  const workingDirectory = options.workingDirectory ?? process.cwd();
  const roots = new ProjectRoots(workingDirectory, options.projectRoots);
  const first = await remote.connectWithin(options.connectMs).catch((error: unknown) => {
    if (!(error instanceof RemoteUnreachable)) throw error;
    // Still unreachable after the retries (or a refused token): the bridge serves anyway, and every
    // request tries again. Exiting would leave Claude Code with nothing but "Connection closed" and
    // the reason in a log few open; served, each call answers with the reason and what to do, and the
    // server started later (or restarted with the right token) is used without restarting Claude Code.
    const tried = error.triedMs === undefined ? '' : `; tried for ${error.triedMs / 1000} s (BRIDGE_CONNECT_SECONDS)`;
    log(`${connectProblem(options.url, error) ?? error.message}${tried}; serving anyway, every request tries again`);
    remote.missed();
    return null;
  });
  const capabilities = first ? bridgeCapabilities(first.getServerCapabilities()) : UNREACHED_CAPABILITIES;
  const instructions = first?.getInstructions();
  const fileArguments = new FileArguments(remote);
  const sessionId = randomUUID();
  /** Calls in flight: the remote's log messages (a model failing over) are told on a call's own stream. */
  const calls = new Set<ServerContext>();

  const listTools = async (request: { params?: { cursor?: string } }) => {
    try {
      // client.request, not listTools: a page, as asked for (listTools without a cursor fetches them all).
      const listed = await remote.use((client, dropped) => client.request({ method: 'tools/list', params: request.params }, { signal: dropped }));
      fileArguments.learn(listed.tools);
      return { ...listed, tools: listed.tools.map(withOutputFileHints) };
    } catch (error) {
      if (!(error instanceof RemoteUnreachable)) throw answerError(options.url, error);
      log(`tools/list: ${connectProblem(options.url, error) ?? error.message}; listing only a status tool that says so`);
      return { tools: [standInStatus(failureMessage(options.url, error))] };
    }
  };

  const callTool = async (request: CallToolRequest, ctx: ServerContext): Promise<CallToolResult> => {
    const args = { ...(request.params.arguments ?? {}) } as Record<string, unknown>;
    // A relative project_root means the bridge's folder (the project Claude Code started it in): the
    // server, which may be on another machine, gets the absolute path.
    if (typeof args.project_root === 'string' && args.project_root !== '' && !isAbsolute(args.project_root)) {
      args.project_root = resolve(workingDirectory, args.project_root);
    }
    const failed = (error: unknown): CallToolResult => {
      if (ctx.mcpReq.signal.aborted) throw error;
      log(`call ${request.params.name} failed: ${reason(error)}`);
      return { content: [{ type: 'text', text: failureMessage(options.url, error) }], isError: true };
    };
    let namingFiles: string[];
    try {
      namingFiles = await fileArguments.of(request.params.name);
    } catch (error) {
      return failed(error);
    }
    if (args.session_id === undefined && fileArguments.takesSession(request.params.name)) args.session_id = sessionId;
    const output = await outputFile(args, fileArguments.outputOf(request.params.name), roots);
    if (output && 'refused' in output) return { content: [{ type: 'text', text: output.refused }], isError: true };
    const files = await attachFiles(args, namingFiles, options, roots);
    if (files && 'refused' in files) return refusal(files.refused, files.report);
    const token = ctx.mcpReq._meta?.progressToken;
    calls.add(ctx);
    try {
      // Every log message the remote has for the call is asked for; the level Claude Code asked for
      // filters them on the way out (ctx.mcpReq.log, in either era).
      const result = (await remote.use((client, dropped) =>
        client.callTool({ name: request.params.name, arguments: args, _meta: { [LOG_LEVEL_META_KEY]: 'debug' } }, {
          signal: AbortSignal.any([ctx.mcpReq.signal, dropped]),
          timeout: CALL_TIMEOUT_MS,
          resetTimeoutOnProgress: true,
          ...(token !== undefined
            ? { onprogress: (p) => void ctx.mcpReq.notify({ method: 'notifications/progress', params: { ...p, progressToken: token } }).catch(() => undefined) }
            : {}),
        }),
      )) as CallToolResult;
      const reported = files ? withFileReport(result, files.report) : result;
      return output && !result.isError ? withOutput(reported, await writeOutput(output, answerText(result))) : reported;
    } catch (error) {
      return failed(error);
    } finally {
      calls.delete(ctx);
    }
  };

  // One connection on stdio, so one server: kept to pass the remote's notifications on.
  let current: Server | null = null;
  remote.onLog = (params) => {
    const { level, data, logger } = params as LoggingMessageNotification['params'];
    // The newest call in flight: the remote does not say which call a message is about.
    const call = [...calls].pop();
    const told = call ? call.mcpReq.log(level, data, logger) : current?.sendLoggingMessage({ level, data, ...(logger ? { logger } : {}) });
    void told?.catch(() => undefined);
  };
  relayListChanges(() => current, remote, capabilities);
  const serving = serveStdio(() => {
    const server = new Server({ name: 'supervisor', version: options.version }, { capabilities, ...(instructions ? { instructions } : {}) });
    forwardRequests(server, remote, capabilities, options.url, log);
    server.setRequestHandler('tools/list', listTools);
    server.setRequestHandler('tools/call', callTool);
    current = server;
    return server;
  });
  if (first) log(`bridge on stdio → ${options.url} (${remote.era() === 'modern' ? 'MCP 2026-07-28' : 'MCP 2025'})`);
  else log(`bridge on stdio → ${options.url} (not reached yet)`);
  return {
    async close() {
      await serving.close();
      await remote.close();
    },
  };
}

/**
 * What the bridge declares when the server could not be reached at start: what supervisor offers, and
 * every list as one that changes, so that once the server is reached the client is told to list its
 * tools, notes and prompts (relayListChanges) and gets the real ones. A server without resources or
 * prompts answers those requests with its own -32601, passed on.
 */
const UNREACHED_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  logging: {},
  resources: { listChanged: true },
  prompts: { listChanged: true },
  completions: {},
};

/**
 * The tools/list answer while the server cannot be reached: one tool, named as supervisor's own status
 * tool, whose description is the reason and what to do. An empty list would leave a Claude Code user
 * with a server that "has no tools" and the reason only in the bridge's stderr; an error would show
 * the server as failed, with no call left to try again. This way the model reads the reason in its
 * tool list, `/mcp` shows one tool, and a call to it (any call) tries the server again: the first
 * that reaches it tells the client to list the tools again (tools/list_changed), and the real
 * `status` answers in its place.
 */
function standInStatus(problem: string): Tool {
  return {
    name: 'status',
    title: 'Status',
    description: `Not connected: ${problem} Calling status tries again; the real tools are listed once the server answers.`,
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true },
  };
}

/**
 * A tool whose answer the bridge saves to a file (spec's `output_path`) writes in the user's project
 * through the bridge, and replaces a file when the call says `overwrite: true`: not read-only, and
 * destructive (MCP ToolAnnotations, 2025-11-25 and 2026-07-28 revisions). The server, which writes no
 * files, announces it read-only, which is true of a call made to it directly (src/tools/define.ts).
 */
function withOutputFileHints(tool: Tool): Tool {
  if (typeof tool._meta?.[OUTPUT_FILE_META] !== 'string') return tool;
  // Saving the same answer twice is refused (the file exists) or replaces it with a new answer: not idempotent.
  const { readOnlyHint: _r, destructiveHint: _d, idempotentHint: _i, ...rest } = tool.annotations ?? {};
  return { ...tool, annotations: { ...rest, readOnlyHint: false, destructiveHint: true, idempotentHint: false } };
}

/**
 * Which arguments of each remote tool name files, and which tools take a session_id, as the remote's
 * tools/list says. Learnt from every listing that passes through; a call to a tool not seen yet (a
 * client that calls without listing, a remote restarted with new tools) lists the remote's tools first.
 */
class FileArguments {
  private readonly byTool = new Map<string, string[]>();
  private readonly outputByTool = new Map<string, string>();
  private readonly withSession = new Set<string>();

  constructor(private readonly remote: Remote) {}

  learn(tools: Tool[]): void {
    for (const tool of tools) {
      const declared = tool._meta?.[FILE_ARGUMENTS_META];
      this.byTool.set(tool.name, Array.isArray(declared) ? declared.filter((name): name is string => typeof name === 'string') : []);
      const output = tool._meta?.[OUTPUT_FILE_META];
      if (typeof output === 'string') this.outputByTool.set(tool.name, output);
      else this.outputByTool.delete(tool.name);
      if (tool.inputSchema.properties && 'session_id' in tool.inputSchema.properties) this.withSession.add(tool.name);
      else this.withSession.delete(tool.name);
    }
  }

  /** Whether the tool takes a session_id; known once `of` has been asked. */
  takesSession(tool: string): boolean {
    return this.withSession.has(tool);
  }

  /** The argument naming the file the answer is saved to; known once `of` has been asked. */
  outputOf(tool: string): string | undefined {
    return this.outputByTool.get(tool);
  }

  async of(tool: string): Promise<string[]> {
    if (!this.byTool.has(tool)) {
      let cursor: string | undefined;
      do {
        const page = await this.remote.use((client, dropped) => client.listTools(cursor === undefined ? undefined : { cursor }, { signal: dropped }));
        this.learn(page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
    return this.byTool.get(tool) ?? [];
  }
}

/**
 * Where the call's answer is to be saved, checked before anything is sent; the path and `overwrite`
 * are the bridge's business and are not forwarded (the server, which writes no files, would say so).
 */
async function outputFile(args: Record<string, unknown>, argument: string | undefined, roots: ProjectRoots) {
  if (argument === undefined) return null;
  const path = args[argument];
  const overwrite = args.overwrite === true;
  if (typeof path !== 'string' || path === '' || typeof args.project_root !== 'string') return null;
  const checked = await roots.check(args.project_root);
  if ('refused' in checked) return { refused: checked.refused };
  const target = await outputTarget(checked.root, path, overwrite);
  if ('refused' in target) return target;
  delete args[argument];
  delete args.overwrite;
  return target;
}

/** A result's structuredContent when it is an object (as supervisor's tools give it), else undefined. */
function structuredOf(result: CallToolResult): Record<string, unknown> | undefined {
  const structured = result.structuredContent;
  return structured && typeof structured === 'object' && !Array.isArray(structured) ? (structured as Record<string, unknown>) : undefined;
}

/** The answer as the model gave it: the structured `text`, else the first text block. */
function answerText(result: CallToolResult): string {
  const structured = structuredOf(result)?.text;
  if (typeof structured === 'string') return structured;
  const first = result.content.find((c) => c.type === 'text');
  return first?.type === 'text' ? first.text : '';
}

function withOutput(result: CallToolResult, report: OutputReport): CallToolResult {
  const structured = structuredOf(result);
  return {
    ...result,
    content: [...result.content, { type: 'text', text: outputLine(report) }],
    ...(structured ? { structuredContent: { ...structured, bridge_output: report } } : {}),
  };
}

type FilesRead = { report: AttachmentReport[] } | { refused: string; report: AttachmentReport[] };

/** Reads the files a call names in its file arguments, under its project_root, into its attachments. */
async function attachFiles(args: Record<string, unknown>, fileArguments: string[], options: BridgeOptions, roots: ProjectRoots): Promise<FilesRead | null> {
  const named = fileArguments.flatMap((name) => args[name] ?? []).filter((f): f is string => typeof f === 'string');
  if (named.length === 0 || typeof args.project_root !== 'string') return null;
  const given = Array.isArray(args.attachments) ? (args.attachments as Attachment[]) : [];
  // Files the caller attached itself need no reading, and no permission to read.
  const givenPaths = new Set(given.map((a) => (typeof a?.path === 'string' ? withoutDotSlash(a.path) : '')));
  if (named.every((path) => givenPaths.has(withoutDotSlash(path)))) return null;
  const checked = await roots.check(args.project_root);
  if ('refused' in checked) {
    // Refused rather than sent without the files: a review or TDD step about code the consultant never
    // saw is a wasted model call whose answer reads as if it had seen it. The error says which setting
    // to change, and the caller can still pass the contents in `attachments`.
    const unique = [...new Set(named)].filter((path) => !givenPaths.has(withoutDotSlash(path)));
    const report = unique.slice(0, MAX_NAMED_FILES).map((path): AttachmentReport => ({ path, status: 'skipped', reason: checked.fileReason }));
    if (unique.length > MAX_NAMED_FILES) report.push({ path: `(${unique.length - MAX_NAMED_FILES} more)`, status: 'skipped', reason: checked.fileReason });
    return { refused: checked.refused, report };
  }
  const attached = await collectAttachments({
    given,
    named,
    projectRoot: checked.root,
    readableRoots: [checked.root],
    caps: { fileBytes: options.fileCapBytes, totalBytes: options.totalCapBytes },
  });
  args.attachments = attached.attachments;
  return { report: attached.report.filter((r) => r.status !== 'given') };
}

function withoutDotSlash(path: string): string {
  return path.replace(/^\.\//, '');
}

function fileLines(files: AttachmentReport[]): string {
  const lines = files.map((f) => (f.status === 'attached' ? `- ${f.path}: attached (${f.chars} characters${f.reason ? `, ${f.reason}` : ''})` : `- ${f.path}: skipped, ${f.reason}`));
  return `Files read by the bridge:\n${lines.join('\n')}`;
}

function withFileReport(result: CallToolResult, files: AttachmentReport[]): CallToolResult {
  const given = structuredOf(result);
  const structured = given && { ...given, ...serverFiles(given, files), bridge_files: files };
  return {
    ...result,
    content: [...withClosingLine(result.content, structured), { type: 'text', text: fileLines(files) }],
    ...(structured ? { structuredContent: structured } : {}),
  };
}

/**
 * The answer's closing line said again from the report with the bridge's word on the files: the
 * server's line named its own reasons for files the bridge looked for ("the server may not read this
 * project_root"), which would send a bridge user looking in the wrong place.
 */
function withClosingLine(content: CallToolResult['content'], structured: Record<string, unknown> | undefined): CallToolResult['content'] {
  const [first, ...rest] = content;
  const consultation = consultationOf(structured);
  if (first?.type !== 'text' || !consultation) return content;
  const closing = closingLine(consultation);
  return [{ ...first, text: closing ? `${consultation.text}\n\n${closing}` : consultation.text }, ...rest];
}

/**
 * The server's `files` with the bridge's word on every file the bridge looked for: a file the bridge
 * could not read (not found, too big) the server could not read either, and its reason ("the server
 * may not read this project_root") would send a bridge user looking in the wrong place.
 */
function serverFiles(structured: Record<string, unknown>, bridge: AttachmentReport[]): { files?: unknown } {
  if (!Array.isArray(structured.files)) return {};
  const byPath = new Map(bridge.map((f) => [withoutDotSlash(f.path), f]));
  return {
    files: structured.files.map((f: unknown) => {
      const path = (f as { path?: unknown })?.path;
      const seen = typeof path === 'string' && (f as { status?: unknown }).status === 'skipped' ? byPath.get(withoutDotSlash(path)) : undefined;
      return seen ?? f;
    }),
  };
}

function refusal(why: string, files: AttachmentReport[]): CallToolResult {
  return { content: [{ type: 'text', text: why }, { type: 'text', text: fileLines(files) }], isError: true };
}
