/** The ingestion service's settings (INGEST_*), read from the environment and checked at start. */
import { join } from 'node:path';
import { z } from 'zod';
import { count, host, hostList, logLevel, path, port, setting, token, type Env, type LogLevel } from '../common/env.js';
import { DEFAULT_NEW_SESSIONS_PER_MINUTE } from '../common/session-contract.js';

export interface IngestionConfig {
  host: string;
  port: number;
  brainDir: string;
  /** Where the session logs the /sessions API serves are kept (INGEST_SESSIONS_DIR; default: sessions/ in the brain folder). */
  sessionsDir?: string | undefined;
  /** New session logs started a minute at most (INGEST_NEW_SESSIONS_PER_MINUTE). */
  newSessionsPerMinute?: number | undefined;
  token: string | undefined;
  /** Host names accepted in Host/Origin besides the loopback ones (INGEST_ALLOWED_HOSTS). */
  allowedHosts?: string[] | undefined;
  /** Seconds between two rescans of the whole brain for edits the folder watches missed (INGEST_RESCAN_SECONDS); unset: adaptive. */
  rescanSeconds?: number | undefined;
  logLevel: LogLevel;
}

/**
 * The rescan's period: a rescan stats every note, so more often than every 10 s would keep a large
 * brain busy for nothing; less often than daily leaves a missed edit unsearchable too long. Unset,
 * it is `fallback`, longer on a brain whose rescan takes long, up to `adaptiveMax` (disk-sync.ts).
 */
export const RESCAN_SECONDS = { min: 10, max: 86_400, fallback: 60, adaptiveMax: 900 };
const rescanSeconds = z
  .string()
  .regex(/^\d+$/, 'must be a whole number of seconds')
  .transform(Number)
  .refine((n) => n >= RESCAN_SECONDS.min && n <= RESCAN_SECONDS.max, `must be from ${RESCAN_SECONDS.min} to ${RESCAN_SECONDS.max} seconds`);

export function ingestionConfig(env: Env = process.env): IngestionConfig {
  const brainDir = setting(env, 'INGEST_BRAIN_DIR', path, './brain');
  return {
    host: setting(env, 'INGEST_HOST', host, '127.0.0.1'),
    port: setting(env, 'INGEST_PORT', port, '3300'),
    brainDir,
    sessionsDir: setting(env, 'INGEST_SESSIONS_DIR', path, join(brainDir, 'sessions')),
    newSessionsPerMinute: setting(env, 'INGEST_NEW_SESSIONS_PER_MINUTE', count(1_000_000), String(DEFAULT_NEW_SESSIONS_PER_MINUTE)),
    token: setting(env, 'INGEST_TOKEN', token),
    allowedHosts: setting(env, 'INGEST_ALLOWED_HOSTS', hostList) ?? [],
    rescanSeconds: setting(env, 'INGEST_RESCAN_SECONDS', rescanSeconds),
    logLevel: setting(env, 'LOG_LEVEL', logLevel, 'info'),
  };
}
