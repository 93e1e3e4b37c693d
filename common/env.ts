/**
 * Reading settings from the environment, shared by the MCP server's and the ingestion service's
 * configs: each value is checked at start, and a bad one stops the process with one line naming the
 * variable, rather than surfacing later as a confusing failure.
 */
import { resolve } from 'node:path';
import * as z from 'zod';

export class ConfigError extends Error {}

export type Env = Record<string, string | undefined>;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const port = z
  .string()
  .regex(/^\d+$/, 'must be a whole number')
  .transform(Number)
  .refine((n) => n <= 65535, 'must be a port number from 0 to 65535');
export const host = z.string().regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or an IP address');
export const path = z.string().min(1, 'must not be empty').transform((p) => resolve(p));
export const token = z.string().regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
/** Tokens shorter than this are accepted (existing deployments keep working) but warned about. */
export const WEAK_TOKEN_LENGTH = 16;
/** A whole number from 1 to `max`. */
export const count = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be from 1 to ${max}`);
export const logLevel = z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` });
export const hostList = z
  .string()
  .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
  .refine((hosts) => hosts.every((h) => /^[a-z0-9.:-]+$/.test(h)), 'must list host names separated by commas');

/** Reads `name` from `env` (an empty value counts as unset) and checks it with `schema`. */
export function setting<T>(env: Env, name: string, schema: z.ZodType<T, string>, fallback?: string): T {
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
