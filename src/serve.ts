/**
 * The embedded default: the MCP server, and — unless INGEST_BASE_URL points at a separate one —
 * the ingestion service in the same process over the same brain.
 */
import type { Logger } from 'pino';
import { startIngestion, type RunningIngestion } from '../ingestion/service.js';
import { HttpBrainClient, LocalBrainClient, type BrainClient } from './brain/client.js';
import { WEAK_TOKEN_LENGTH, type IngestionConfig, type SupervisorConfig } from './config.js';
import { ChainClient } from './llm/chain.js';
import { loadModels } from './llm/models.js';
import { buildMcpApp } from './mcp/http.js';
import { SessionLog } from './session/log.js';
import { checkDisciplines, type ConsultDeps } from './skills/consult.js';
import { VERSION } from './version.js';

export interface RunningSupervisor {
  /** e.g. http://127.0.0.1:3200/mcp */
  mcpUrl: string;
  ingestion: RunningIngestion | null;
  deps: ConsultDeps;
  sessionCount(): number;
  close(): Promise<void>;
}

export async function startSupervisor(config: SupervisorConfig, ingestConfig: IngestionConfig, logger: Logger): Promise<RunningSupervisor> {
  const models = await loadModels(config.modelsFile);
  await checkDisciplines(config.configDir);
  warnAboutExposure(config, logger);

  let ingestion: RunningIngestion | null = null;
  let brain: BrainClient;
  if (config.ingestBaseUrl) {
    brain = new HttpBrainClient(config.ingestBaseUrl, config.ingestToken);
  } else {
    ingestion = await startIngestion({ ...ingestConfig, brainDir: config.brainDir }, logger);
    brain = new LocalBrainClient(ingestion.brain);
  }

  const deps: ConsultDeps = {
    llm: new ChainClient({ baseUrl: config.litellmBaseUrl, apiKey: config.litellmApiKey, timeoutMs: config.modelTimeoutMs }),
    models,
    brain,
    sessions: new SessionLog(config.sessionsDir),
    configDir: config.configDir,
    projectRoots: config.projectRoots,
    logger,
  };
  const app = buildMcpApp({
    deps,
    logger,
    version: VERSION,
    bindHost: config.host,
    allowedHosts: config.allowedHosts,
    token: config.token,
    sessionIdleMs: config.sessionIdleMs,
    maxSessions: config.maxSessions,
    maxCalls: config.maxCalls,
    shutdownGraceMs: config.shutdownGraceMs,
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await ingestion?.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const mcpUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/mcp`;
  logger.info({ version: VERSION, url: mcpUrl, brain: ingestion ? config.brainDir : brain.where, litellm: config.litellmBaseUrl }, 'MCP server listening');

  return {
    mcpUrl,
    ingestion,
    deps,
    sessionCount: () => app.sessionCount(),
    async close() {
      // Calls in flight are answered (or stopped with an answer) before anything closes under them.
      await app.drain();
      await app.close();
      await ingestion?.close();
    },
  };
}

function warnAboutExposure(config: SupervisorConfig, logger: Logger): void {
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(config.host);
  if (!loopback && !config.token) logger.warn(`SUPERVISOR_HOST is ${config.host} and no SUPERVISOR_TOKEN is set: anyone who can reach the port can use the tools`);
  if (config.token && config.token.length < WEAK_TOKEN_LENGTH) logger.warn(`SUPERVISOR_TOKEN is shorter than ${WEAK_TOKEN_LENGTH} characters; use a long random one`);
}
