/**
 * Starts the ingestion service: opens the brain, listens, then loads the index in the background
 * so /health answers at once and /ready turns 200 when searches can be answered.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { WEAK_TOKEN_LENGTH } from '../common/env.js';
import { SessionLogFiles } from '../common/session-log/files.js';
import type { IngestionConfig } from './config.js';
import { buildApp } from './app.js';
import { Brain } from './brain.js';
import type { WebSources } from './web/sources.js';

export interface RunningIngestion {
  app: FastifyInstance;
  brain: Brain;
  /** The address it listens on, e.g. http://127.0.0.1:3300 */
  url: string;
  /** Resolves when the index agrees with the files (the first reconcile is done). */
  loaded: Promise<void>;
  close(): Promise<void>;
}

/**
 * `web`: what the web page shows besides the notes — the session logs and the eval scoreboard — when
 * the process has them (the embedded default); the service run alone shows the notes only.
 */
export async function startIngestion(config: IngestionConfig, logger: Logger, web?: WebSources & { sessions?: SessionLogFiles }): Promise<RunningIngestion> {
  if (config.token && config.token.length < WEAK_TOKEN_LENGTH) {
    logger.warn(`INGEST_TOKEN is shorter than ${WEAK_TOKEN_LENGTH} characters; use a long random one (openssl rand -hex 32)`);
  }
  const brain = await Brain.open(config.brainDir, logger);
  const sessions = web?.sessions ?? new SessionLogFiles(config.sessionsDir ?? join(config.brainDir, 'sessions'));
  const { host, allowedHosts, newSessionsPerMinute } = config;
  const app = buildApp({ brain, logger, token: config.token, bindHost: host, allowedHosts, sessions, newSessionsPerMinute, web });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await brain.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  brain.watch(config.rescanSeconds);
  const loaded = brain.reconcile().then(
    (report) => logger.info({ ...report, notes: brain.noteCount(), brainDir: config.brainDir }, 'brain index ready'),
    (error: unknown) => {
      logger.fatal({ err: error }, 'cannot load the brain index');
      throw error;
    },
  );

  return {
    app,
    brain,
    url,
    loaded,
    async close() {
      await app.close();
      await loaded.catch(() => undefined);
      await brain.close();
    },
  };
}
