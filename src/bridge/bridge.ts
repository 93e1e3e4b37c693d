/**
 * `supervisor bridge`: a stdio MCP server for clients that speak only stdio, forwarding everything to
 * the MCP server at SUPERVISOR_URL — tool listing and calls, progress, cancellation, log messages.
 *
 * It runs where the code is, so before a consulting call goes out it reads the files the call names
 * (`files`, `test_path`, `impl_path`, relative to `project_root`) and attaches them: the remote
 * model sees the code. stdout carries protocol messages only; everything else goes to stderr.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { collectAttachments, type AttachmentReport } from '../skills/attach.js';
import type { Attachment } from '../skills/prompt.js';

export interface BridgeOptions {
  url: string;
  token?: string | undefined;
  fileCapBytes: number;
  totalCapBytes: number;
  version: string;
}

/** Long model calls are normal: the remote's own timeouts decide, and progress keeps this one alive. */
const CALL_TIMEOUT_MS = 30 * 60_000;

export class RemoteUnreachable extends Error {}

/** The connection to the remote MCP server, made again after it was lost. */
class Remote {
  private client: Client | null = null;
  onLog: ((params: unknown) => void) | null = null;

  constructor(private readonly options: BridgeOptions) {}

  async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({ name: 'supervisor-bridge', version: this.options.version });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => this.onLog?.(notification.params));
    const headers: Record<string, string> = this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(this.options.url), { requestInit: { headers } }));
    } catch (error) {
      throw new RemoteUnreachable(`cannot reach the supervisor MCP server at ${this.options.url}: ${reason(error)}`);
    }
    client.onclose = () => {
      if (this.client === client) this.client = null;
    };
    this.client = client;
    return client;
  }

  /** Runs `work` on the connection; when the remote was lost (restart, network), reconnects once. */
  async use<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await work(client);
    } catch (error) {
      if (!isConnectionLoss(error)) throw error;
      this.client = null;
      await client.close().catch(() => undefined);
      return work(await this.connect());
    }
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
  }
}

export async function startBridge(options: BridgeOptions, log: (line: string) => void): Promise<{ close(): Promise<void> }> {
  const remote = new Remote(options);
  const first = await remote.connect(); // unreachable at start: the caller prints the reason and exits
  const server = new Server(
    { name: 'supervisor', version: options.version },
    { capabilities: { tools: {}, logging: {} }, ...(first.getInstructions() ? { instructions: first.getInstructions() } : {}) },
  );
  remote.onLog = (params) => void server.sendLoggingMessage(params as Parameters<Server['sendLoggingMessage']>[0]).catch(() => undefined);

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    try {
      return await remote.use((client) => client.listTools(request.params));
    } catch (error) {
      throw new Error(unreachableMessage(options.url, error), { cause: error });
    }
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const args = { ...(request.params.arguments ?? {}) } as Record<string, unknown>;
    const files = await attachFiles(args, options);
    const token = request.params._meta?.progressToken;
    try {
      const result = (await remote.use((client) =>
        client.callTool({ name: request.params.name, arguments: args, ...(token !== undefined ? { _meta: { progressToken: token } } : {}) }, undefined, {
          signal: extra.signal,
          timeout: CALL_TIMEOUT_MS,
          resetTimeoutOnProgress: true,
          ...(token !== undefined
            ? { onprogress: (p) => void extra.sendNotification({ method: 'notifications/progress', params: { ...p, progressToken: token } }).catch(() => undefined) }
            : {}),
        }),
      )) as CallToolResult;
      return files ? withFileReport(result, files) : result;
    } catch (error) {
      if (extra.signal.aborted) throw error;
      log(`call ${request.params.name} failed: ${reason(error)}`);
      return { content: [{ type: 'text', text: unreachableMessage(options.url, error) }], isError: true };
    }
  });

  const transport = new StdioServerTransport();
  await server.connect(transport);
  log(`bridge on stdio → ${options.url}`);
  return {
    async close() {
      await server.close();
      await remote.close();
    },
  };
}

/** Reads the files a consulting call names, under its project_root, into its attachments. */
async function attachFiles(args: Record<string, unknown>, options: BridgeOptions): Promise<AttachmentReport[] | null> {
  const named = [...(Array.isArray(args.files) ? args.files : []), args.test_path, args.impl_path].filter((f): f is string => typeof f === 'string');
  if (named.length === 0 || typeof args.project_root !== 'string') return null;
  const given = Array.isArray(args.attachments) ? (args.attachments as Attachment[]) : [];
  const attached = await collectAttachments({
    given,
    named,
    projectRoot: args.project_root,
    readableRoots: [args.project_root],
    caps: { fileBytes: options.fileCapBytes, totalBytes: options.totalCapBytes },
    notReadable: 'project_root must be an absolute path on this machine',
  });
  args.attachments = attached.attachments;
  return attached.report.filter((r) => r.status !== 'given');
}

function withFileReport(result: CallToolResult, files: AttachmentReport[]): CallToolResult {
  const lines = files.map((f) => (f.status === 'attached' ? `- ${f.path}: attached (${f.chars} characters${f.reason ? `, ${f.reason}` : ''})` : `- ${f.path}: skipped, ${f.reason}`));
  return {
    ...result,
    content: [...result.content, { type: 'text', text: `Files read by the bridge:\n${lines.join('\n')}` }],
    ...(result.structuredContent ? { structuredContent: { ...result.structuredContent, bridge_files: files } } : {}),
  };
}

function isConnectionLoss(error: unknown): boolean {
  const text = `${reason(error)} ${String((error as { code?: unknown })?.code ?? '')}`;
  return /fetch failed|ECONNREFUSED|ECONNRESET|socket|Session not found|404|terminated|closed/i.test(text);
}

function unreachableMessage(url: string, error: unknown): string {
  return `the supervisor MCP server at ${url} did not answer (${reason(error)}); check that it runs (npm start) and SUPERVISOR_URL. The bridge reconnects on the next call.`;
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const message = String((error as Error)?.message ?? error).replace(/\s+/g, ' ');
  return cause?.code ? `${cause.code}: ${message}` : message.slice(0, 300);
}
