/** The ingestion service's settings (INGEST_*), read from the environment and checked at start. */
import { host, hostList, logLevel, path, port, setting, token, type Env, type LogLevel } from '../common/env.js';

export interface IngestionConfig {
  host: string;
  port: number;
  brainDir: string;
  token: string | undefined;
  /** Host names accepted in Host/Origin besides the loopback ones (INGEST_ALLOWED_HOSTS). */
  allowedHosts?: string[] | undefined;
  logLevel: LogLevel;
}

export function ingestionConfig(env: Env = process.env): IngestionConfig {
  return {
    host: setting(env, 'INGEST_HOST', host, '127.0.0.1'),
    port: setting(env, 'INGEST_PORT', port, '3300'),
    brainDir: setting(env, 'INGEST_BRAIN_DIR', path, './brain'),
    token: setting(env, 'INGEST_TOKEN', token),
    allowedHosts: setting(env, 'INGEST_ALLOWED_HOSTS', hostList) ?? [],
    logLevel: setting(env, 'LOG_LEVEL', logLevel, 'info'),
  };
}
