/**
 * The embedded default: the MCP server, and — unless INGEST_BASE_URL points at a separate one —
 * the ingestion service in the same process over the same brain.
 */
import type { Logger } from 'pino';
import { WEAK_TOKEN_LENGTH } from '../common/env.js';
import { startIngestion, type IngestionConfig, type RunningIngestion } from '../ingestion/index.js';
import { HttpBrainClient, LocalBrainClient, type BrainClient } from './brain/client.js';
import { DisciplineFiles } from './consult/disciplines.js';
import type { Deps, SessionStore } from './deps.js';
import type { SupervisorConfig } from './config.js';
import { ChainClient } from './llm/chain.js';
import { disagreementWarning, loadModels, servedWindows } from './llm/models.js';
import { buildMcpApp } from './mcp/http.js';
import { SessionLog } from './session/log.js';
import { RemoteSessionLog } from './session/remote.js';
import { latestScoreboard } from './eval/kept.js';
import { AdviceTally } from './consult/advice-outcome.js';
import { modelLabel } from './metrics/mcp-metrics.js';
import { logStartupLine } from './startup-line.js';
import { TOOLS } from './tools/index.js';
import { VERSION } from './version.js';

export interface RunningSupervisor {
  /** e.g. http://127.0.0.1:3200/mcp */
  mcpUrl: string;
  ingestion: RunningIngestion | null;
  deps: Deps;
  /** The session logs on this server's disk (the embedded default); null in team mode, where the brain service keeps them. */
  sessionFiles: SessionLog | null;
  sessionCount(): number;
  close(): Promise<void>;
}

/** The names a models.yaml `skills` key may use: every consulting tool and every family. */
const SKILL_NAMES = [...new Set(TOOLS.filter((tool) => tool.kind === 'consult').flatMap((tool) => [tool.name, tool.family ?? tool.name]))];

export async function startSupervisor(config: SupervisorConfig, ingestConfig: IngestionConfig, logger: Logger): Promise<RunningSupervisor> {
  const models = await loadModels(config.modelsFile);
  // Windows models.yaml does not give are asked of LiteLLM while the rest starts; one that is down leaves them at the default.
  const windows = servedWindows(config.litellmBaseUrl, config.litellmApiKey);
  const unknown = models.unknownSkills(SKILL_NAMES);
  if (unknown.length > 0) {
    logger.warn({ modelsFile: config.modelsFile, unknown, known: SKILL_NAMES }, `models.yaml names skills that do not exist (${unknown.join(', ')}): their chains are never used`);
  }
  const disciplines = new DisciplineFiles(config.configDir);
  await disciplines.check();
  warnAboutExposure(config, logger);

  let sessionFiles: SessionLog | null = null;
  let sessions: SessionStore;
  let ingestion: RunningIngestion | null = null;
  let brain: BrainClient;
  if (config.ingestBaseUrl) {
    // Team mode: the brain service keeps the session logs too, so replicas share them (docs/deploy.md).
    const remote = new HttpBrainClient(config.ingestBaseUrl, config.ingestToken);
    brain = remote;
    sessions = new RemoteSessionLog(remote);
  } else {
    const files = new SessionLog(config.sessionsDir);
    sessions = sessionFiles = files;
    // The brain's web page (docs/web.md) shows this process's session logs and eval scoreboards too.
    const scoreboard = async () => latestScoreboard(config.evalDir);
    ingestion = await startIngestion({ ...ingestConfig, brainDir: config.brainDir }, logger, { sessions: files, scoreboard });
    brain = new LocalBrainClient(ingestion.brain);
  }

  for (const disagreement of models.adoptServedWindows(await windows)) {
    logger.warn({ model: disagreement.model, declared: disagreement.declared, litellm: disagreement.served }, disagreementWarning(disagreement));
  }
  const deps = {
    llm: new ChainClient({ baseUrl: config.litellmBaseUrl, apiKey: config.litellmApiKey, timeoutMs: config.modelTimeoutMs }),
    models,
    brain,
    sessions,
    disciplines,
    projectRoots: config.projectRoots,
    logger,
    evalDir: config.evalDir,
    advice: new AdviceTally((model) => modelLabel(models.allModels(), model)),
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
    webPort: ingestion ? Number(new URL(ingestion.url).port) : undefined,
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
  const brainAt = ingestion ? `${ingestion.url} (${config.brainDir})` : brain.where;
  void logStartupLine(deps, { version: VERSION, mcpUrl, brainAt, brainLoaded: ingestion?.loaded ?? Promise.resolve() }).catch(
    (error: unknown) => logger.error({ err: error }, 'cannot write the start-up line'),
  );

  return {
    mcpUrl,
    ingestion,
    deps,
    sessionFiles,
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
