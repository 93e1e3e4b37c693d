/**
 * The MCP server: the tools of docs/mcp.md. One McpServer is made per MCP session; the
 * dependencies (model client, brain, session logs) are shared.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type RequestId,
  type CallToolResult,
  type ListToolsResult,
  type ServerNotification,
  type ServerRequest,
  type ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BrainRefused, BrainUnavailable } from '../brain/client.js';
import { consult, ConsultationFailed, type CallContext, type Consultation, type ConsultDeps } from '../skills/consult.js';
import { debug } from '../skills/debug.js';
import { review } from '../skills/review.js';
import { EmptySession, retrospective, sessionReviewArgs, trainer } from '../skills/session-review.js';
import type { Args, ConsultingSkill } from '../skills/skill.js';
import { spec } from '../skills/spec.js';
import { tddGreen, tddRed, tddRefactor } from '../skills/tdd.js';
import type { Attempt } from '../llm/chain.js';
import { modelLabel, type McpMetrics } from '../metrics/mcp-metrics.js';
import type { ModelsConfig } from '../llm/models.js';
import { probeStatus } from './status.js';

export const CONSULTING_SKILLS: ConsultingSkill[] = [tddRed, tddGreen, tddRefactor, review, debug, spec];

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

// Minimal on purpose: every schema is sent to every Claude Code user's context with tools/list. The
// result also carries duration_ms, attempts, knowledge, phase, brain, cut (and files) (docs/mcp.md).
const consultationOutput = z.object({ text: z.string(), model: z.string(), session_id: z.string() }).loose();

/** Consultants read and advise; they change nothing but their own session log. */
const CONSULTING: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true };

export interface ServerOptions {
  /** Version reported to clients. */
  version: string;
  metrics?: McpMetrics | undefined;
  /** Told of every tool call as it starts and ends: the HTTP layer's notion of a busy session. */
  calls?: CallTracker | undefined;
}

export interface CallTracker {
  /**
   * Called as a tool call starts: why it may not run (too many in flight), or `stopped`, aborted
   * (with a CallStopped reason) when the server stops the call at shutdown, and `end`, to call as
   * the call ends, however it ends.
   */
  begin(call: { requestId: RequestId; signal: AbortSignal }): { refused: string } | { stopped: AbortSignal; end(): void };
}

export function createMcpServer(deps: ConsultDeps, options: ServerOptions): McpServer {
  const server = new McpServer(
    { name: 'supervisor', version: options.version },
    {
      capabilities: { logging: {} },
      instructions:
        'Consult local models with a senior engineer\'s discipline (TDD, review, debug, spec), primed with the team\'s brain and this session\'s history. Pass project_root and the code (attachments) so the consultant sees it.',
    },
  );

  compactToolList(server);
  if (options.calls) trackCalls(server, options.calls, options.metrics);
  const { answer, toolCall } = outcomes(options.metrics, deps.models, deps.logger);
  for (const skill of CONSULTING_SKILLS) {
    server.registerTool(
      skill.name,
      { description: skill.description, inputSchema: skill.inputSchema, outputSchema: consultationOutput, annotations: CONSULTING },
      async (args, extra) => answer(skill.name, () => consult(deps, skill, args as Args, callContext(server, args as Args, extra))),
    );
  }

  server.registerTool(
    'retrospective',
    {
      description: "Learnings worth keeping from a session's consultations.",
      inputSchema: sessionReviewArgs,
      outputSchema: consultationOutput,
      annotations: CONSULTING,
    },
    async (args, extra) => answer('retrospective', () => retrospective(deps, args, callContext(server, args, extra))),
  );

  server.registerTool(
    'trainer',
    {
      description: 'From a session log, a reader finds learning moments and a writer drafts brain entries (save them with brain_write).',
      inputSchema: sessionReviewArgs,
      outputSchema: consultationOutput,
      annotations: CONSULTING,
    },
    async (args, extra) => answer('trainer', () => trainer(deps, args, callContext(server, args, extra))),
  );

  registerBrainTools(server, deps, toolCall);

  server.registerTool(
    'status',
    {
      description: 'Which tiers answer: LiteLLM and the configured models it serves, the brain and its size.',
      inputSchema: {},
      outputSchema: z.object({ litellm: z.object({}).loose(), brain: z.object({}).loose() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async () =>
      toolCall('status', async () => {
        const status = await probeStatus(deps);
        return { content: [{ type: 'text', text: status.summary }], structuredContent: { ...status.report } };
      }),
  );

  return server;
}

type ToolCall = (tool: string, work: () => Promise<CallToolResult>) => Promise<CallToolResult>;

function registerBrainTools(server: McpServer, deps: ConsultDeps, toolCall: ToolCall): void {
  const filters = { type: z.string().optional(), domain: z.string().optional(), tags: z.array(z.string()).optional().describe('All required.') };
  server.registerTool(
    'brain_query',
    {
      description: "Search the team's knowledge notes by keywords or a question; best first, with excerpts.",
      inputSchema: { query: z.string().min(1), limit: z.number().int().min(1).max(50).optional().describe('Default 5.'), ...filters },
      outputSchema: z.object({ results: z.array(z.object({}).loose()) }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ query, limit, type, domain, tags }, extra) =>
      toolCall('brain_query', async () => {
        const results = await deps.brain.search({ query, limit, type, domain, tags }, extra.signal);
        const text = results.length === 0 ? `No notes match "${query}".` : results.map((r) => `- **${r.title}** (\`${r.path}\`): ${r.excerpt}`).join('\n');
        return { content: [{ type: 'text', text }], structuredContent: { results } };
      }),
  );
  server.registerTool(
    'brain_write',
    {
      description: 'Save knowledge as a markdown note. An existing note is replaced or extended only with mode overwrite or append.',
      inputSchema: {
        content: z.string().min(1).describe('Markdown.'),
        filename: z.string().optional().describe('Default: from the title.'),
        title: z.string().optional(),
        type: z.string().optional().describe('e.g. pattern, correction'),
        domain: z.string().optional(),
        tags: z.array(z.string()).optional(),
        mode: z.enum(['create', 'overwrite', 'append']).optional(),
      },
      outputSchema: z.object({ path: z.string(), action: z.string() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    async (note) =>
      toolCall('brain_write', async () => {
        const written = await deps.brain.write(note);
        return { content: [{ type: 'text', text: `Note ${written.action}: ${written.path}` }], structuredContent: { ...written } };
      }),
  );
}

/**
 * tools/list is read into every Claude Code user's context, so it carries nothing that means
 * nothing: the `$schema` URI zod puts on every schema, and `execution: {taskSupport: "forbidden"}`,
 * the spec's default when absent. Open objects say `additionalProperties: true`, the portable
 * spelling, rather than zod's `{}`. The handler McpServer installs (at the first registerTool) is
 * wrapped as it is installed.
 */
function compactToolList(server: McpServer): void {
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

/**
 * Wraps the tools/call handler (installed by McpServer at the first registerTool) so the tracker
 * sees every call begin and end, and every handler's signal also aborts when the server stops.
 */
function trackCalls(server: McpServer, calls: CallTracker, metrics: McpMetrics | undefined): void {
  const lowLevel = server.server;
  const setRequestHandler = lowLevel.setRequestHandler.bind(lowLevel);
  lowLevel.setRequestHandler = ((schema: unknown, handler: (...args: never[]) => unknown) => {
    if (schema !== CallToolRequestSchema) return setRequestHandler(schema as never, handler as never);
    const callTool = handler as unknown as (request: unknown, extra: Extra) => Promise<CallToolResult>;
    return setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const call = calls.begin(extra);
      if ('refused' in call) {
        metrics?.errors.inc({ kind: 'busy' });
        return toolError(call.refused);
      }
      try {
        return await callTool(request, { ...extra, signal: AbortSignal.any([extra.signal, call.stopped]) });
      } finally {
        call.end();
      }
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

/** The session a call belongs to: the one it names, else the MCP session's own id. */
function callContext(server: McpServer, args: { session_id?: string | undefined }, extra: Extra): CallContext {
  const token = extra._meta?.progressToken;
  let progress = 0;
  return {
    sessionId: args.session_id ?? extra.sessionId ?? 'no-session',
    signal: extra.signal,
    // A log message, filtered by the level the client set (logging/setLevel).
    notice: (message) => void server.sendLoggingMessage({ level: 'warning', logger: 'supervisor', data: message }, extra.sessionId).catch(() => undefined),
    onProgress:
      token === undefined
        ? undefined
        : (message) => {
            progress++;
            void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => undefined);
          },
  };
}

/**
 * How tool results and failures become MCP answers — a tool error the calling model can act on —
 * and metrics: calls by tool and model, every model attempt, fallbacks, errors by kind.
 */
function outcomes(metrics: McpMetrics | undefined, models: ModelsConfig, logger: Logger) {
  // Only configured models are labels: a caller's made-up model name would be a new series for good.
  const label = (model: string) => modelLabel(models.allModels(), model);
  const countAttempts = (attempts: Attempt[]) => {
    attempts.forEach((attempt, i) => {
      metrics?.modelCalls.inc({ model: label(attempt.model), outcome: attempt.outcome });
      if (i < attempts.length - 1) metrics?.fallbacks.inc({ model: label(attempt.model), reason: attempt.outcome });
    });
  };
  const failed = (tool: string, kind: string, text: string): CallToolResult => {
    metrics?.errors.inc({ kind });
    metrics?.calls.inc({ tool, model: '', outcome: 'error' });
    return toolError(text);
  };
  // An error nobody expected may carry server paths or internals (an fs error names the absolute
  // path): the client gets a generic tool error, the server log the whole error.
  const internal = (tool: string, error: unknown): CallToolResult => {
    logger.error({ err: error, tool }, 'tool failed unexpectedly');
    return failed(tool, 'internal', 'internal error; the server log has the details');
  };

  async function answer(tool: string, work: () => Promise<Consultation>): Promise<CallToolResult> {
    const timer = metrics?.duration.startTimer({ tool });
    try {
      const result = await work();
      countAttempts(result.attempts);
      metrics?.calls.inc({ tool, model: label(result.model), outcome: 'ok' });
      return { content: [{ type: 'text', text: result.text }], structuredContent: { ...result } };
    } catch (error) {
      if (error instanceof ConsultationFailed) {
        countAttempts(error.attempts);
        return failed(tool, error.attempts.at(-1)?.outcome === 'cancelled' ? 'cancelled' : 'models_failed', error.message);
      }
      if (error instanceof EmptySession) return failed(tool, 'refused', error.message);
      return internal(tool, error);
    } finally {
      timer?.();
    }
  }

  async function toolCall(tool: string, work: () => Promise<CallToolResult>): Promise<CallToolResult> {
    const timer = metrics?.duration.startTimer({ tool });
    try {
      const result = await work();
      metrics?.calls.inc({ tool, model: '', outcome: 'ok' });
      return result;
    } catch (error) {
      if (error instanceof BrainRefused) return failed(tool, 'refused', error.message);
      if (error instanceof BrainUnavailable) return failed(tool, 'brain_unavailable', `the brain is unavailable: ${error.message}`);
      return internal(tool, error);
    } finally {
      timer?.();
    }
  }

  return { answer, toolCall };
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
