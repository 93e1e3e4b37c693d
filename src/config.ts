/**
 * Settings from the environment, each validated at start: a bad value stops the process with one
 * line naming the variable, rather than surfacing later as a confusing failure.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {}

export interface IngestionConfig {
  host: string;
  port: number;
  brainDir: string;
  token: string | undefined;
  logLevel: LogLevel;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const port = z
  .string()
  .regex(/^\d+$/, 'must be a whole number')
  .transform(Number)
  .refine((n) => n <= 65535, 'must be a port number from 0 to 65535');
const host = z.string().regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or an IP address');
const path = z.string().min(1, 'must not be empty').transform((p) => resolve(p));
const token = z.string().regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
/** Tokens shorter than this are accepted (existing deployments keep working) but warned about. */
export const WEAK_TOKEN_LENGTH = 16;
const logLevel = z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` });

type Env = Record<string, string | undefined>;

/** Reads `name` from `env` (an empty value counts as unset) and checks it with `schema`. */
function setting<T>(env: Env, name: string, schema: z.ZodType<T, string>, fallback?: string): T {
  const raw = env[name] === '' ? undefined : env[name];
  const value = raw ?? fallback;
  if (value === undefined) return undefined as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const shown = /TOKEN|KEY/.test(name) ? '' : ` (got "${value}")`;
    throw new ConfigError(`${name} ${parsed.error.issues[0]?.message ?? 'is invalid'}${shown}`);
  }
  return parsed.data;
}

export function ingestionConfig(env: Env = process.env): IngestionConfig {
  return {
    host: setting(env, 'INGEST_HOST', host, '127.0.0.1'),
    port: setting(env, 'INGEST_PORT', port, '3300'),
    brainDir: setting(env, 'INGEST_BRAIN_DIR', path, './brain'),
    token: setting(env, 'INGEST_TOKEN', token),
    logLevel: setting(env, 'LOG_LEVEL', logLevel, 'info'),
  };
}
