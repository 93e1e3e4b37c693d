/**
 * The MCP server: the tools of src/tools/index.ts, the resources (brain notes, session logs) and the
 * prompts, registered on one McpServer per MCP session; the dependencies (model client, brain,
 * session logs, disciplines) are shared.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallContext } from '../consult/consultation.js';
import type { Deps } from '../deps.js';
import { lazySchemaValidator } from '../schema-validator.js';
import type { McpMetrics } from '../metrics/mcp-metrics.js';
import type { Extra, ToolHost } from '../tools/define.js';
import { TOOLS } from '../tools/index.js';
import { checkArguments } from './argument-check.js';
import { callMetrics } from './call-metrics.js';
import { logCalls, trackCalls, type CallTracker } from './call-tracking.js';
import { toolBoundary } from './errors.js';
import { callNotices, type CallLog } from './notices.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources/index.js';
import { compactToolList } from './tool-list.js';

export type { CallTracker } from './call-tracking.js';

export interface ServerOptions {
  /** Version reported to clients. */
  version: string;
  metrics?: McpMetrics | undefined;
  /** Told of every tool call as it starts and ends: the HTTP layer's notion of a busy session. */
  calls?: CallTracker | undefined;
}

/** One for every session: each McpServer would otherwise build its own ajv at `initialize`. */
const schemaValidator = lazySchemaValidator();

export function createMcpServer(deps: Deps, options: ServerOptions): McpServer {
  const server = new McpServer(
    { name: 'supervisor', version: options.version },
    {
      capabilities: { logging: {} },
      jsonSchemaValidator: schemaValidator,
      instructions:
        'Consult local models with a senior engineer\'s discipline (TDD, review, debug, spec), primed with the team\'s brain and this session\'s history. Pass project_root and the code (attachments) so the consultant sees it.',
    },
  );

  const metrics = callMetrics(options.metrics, deps.models, deps.logger);
  // First: it wraps the SDK's resources/list, resources/read and completion/complete as they are installed.
  registerResources(server, deps);
  compactToolList(server);
  logCalls(server, metrics);
  if (options.calls) trackCalls(server, options.calls, metrics);
  checkArguments(server, TOOLS, metrics);
  const notices = callNotices(server);
  const host: ToolHost = {
    deps,
    context: (args, extra) => callContext(notices(extra), args, extra),
    answer: toolBoundary(metrics, deps.logger),
  };
  for (const tool of TOOLS) tool.register(server, host);
  registerPrompts(server, deps);
  return server;
}

/** The session a call belongs to: the one it names, else the MCP session's own id. */
function callContext(log: CallLog, args: { session_id?: unknown }, extra: Extra): CallContext {
  const token = extra._meta?.progressToken;
  let progress = 0;
  return {
    sessionId: typeof args.session_id === 'string' ? args.session_id : (extra.sessionId ?? 'no-session'),
    signal: extra.signal,
    // A log message on the call's own stream, filtered by the level the client set (logging/setLevel).
    notice: (message) => log('warning', message),
    onProgress:
      token === undefined
        ? undefined
        : (message) => {
            progress++;
            void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => undefined);
          },
  };
}
