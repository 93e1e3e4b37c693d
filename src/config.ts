/**
 * Settings from the environment, each validated at start: a bad value stops the process with one
 * line naming the variable, rather than surfacing later as a confusing failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { count, host, hostList, logLevel, path, port, setting, token, type Env, type LogLevel } from '../common/env.js';


export interface SupervisorConfig {
  host: string;
  port: number;
  token: string | undefined;
  configDir: string;
  modelsFile: string;
  brainDir: string;
  sessionsDir: string;
  /** Where `supervisor eval` keeps its scoreboards and `status` reads the latest. */
  evalDir: string;
  litellmBaseUrl: string;
  litellmApiKey: string | undefined;
  /** Unset: the ingestion service runs in this process over brainDir. */
  ingestBaseUrl: string | undefined;
  ingestToken: string | undefined;
  modelTimeoutMs: number;
  sessionIdleMs: number;
  /** Cap on open MCP sessions; when full, the least recently used idle one is closed. */
  maxSessions: number;
  /** Cap on tool calls in flight over all sessions; past it a call gets a tool error at once. */
  maxCalls: number;
  /** At shutdown, how long calls in flight may take to finish. */
  shutdownGraceMs: number;
  /** Folders under which the server may read a call's files itself; empty: it never does. */
  projectRoots: string[];
  /** Host names accepted in Host/Origin besides the loopback ones, when listening beyond loopback. */
  allowedHosts: string[];
  logLevel: LogLevel;
}

/** A URL setting; its errors show `example`, a URL of what that setting names. */
const url = (example: string) => z.string().url(`must be a URL such as ${example}`).regex(/^https?:\/\//, `must start with http:// or https://, such as ${example}`);
const positive = (unit: string) =>
  z.string().regex(/^\d+$/, `must be a whole number of ${unit}`).transform(Number).refine((n) => n > 0, `must be at least 1 ${unit}`);
const absoluteList = z
  .string()
  .transform((v) => v.split(/[,:]/).map((p) => p.trim()).filter(Boolean))
  .refine((paths) => paths.every((p) => isAbsolute(p)), 'must list absolute paths, separated by : or ,')
  .transform((paths) => paths.map((p) => resolve(p)));
/** Each session holds about 100 KB: the default keeps sessions under ~20 MB, the maximum under ~1 GB. */
export const DEFAULT_MAX_SESSIONS = 200;
/**
 * Tool calls in flight at once: each holds its arguments (up to the 4 MiB body) and its prompt until
 * the model answers. The default is well above what one GPU server answers at once.
 */
export const DEFAULT_MAX_CALLS = 500;

/** The name this package is published under (package.json `name`); its command is `supervisor`. */
export const PACKAGE_NAME = 'supervisor-mcp';

/** The folder this package is installed in, so default config paths work from any working directory. */
export function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
  }
  return process.cwd();
}

export function supervisorConfig(env: Env = process.env): SupervisorConfig {
  const root = packageRoot();
  const brainDir = setting(env, 'SUPERVISOR_BRAIN_DIR', path) ?? setting(env, 'INGEST_BRAIN_DIR', path, './brain');
  return {
    host: setting(env, 'SUPERVISOR_HOST', host, '127.0.0.1'),
    port: setting(env, 'SUPERVISOR_PORT', port, '3200'),
    token: setting(env, 'SUPERVISOR_TOKEN', token),
    configDir: setting(env, 'SUPERVISOR_CONFIG_DIR', path, join(root, 'config', 'supervisor')),
    modelsFile: setting(env, 'SUPERVISOR_MODELS_FILE', path, join(root, 'config', 'models.yaml')),
    brainDir,
    sessionsDir: setting(env, 'SUPERVISOR_SESSIONS_DIR', path, join(brainDir, 'sessions')),
    evalDir: setting(env, 'SUPERVISOR_EVAL_DIR', path, join(brainDir, 'eval')),
    litellmBaseUrl: setting(env, 'LITELLM_BASE_URL', url('http://localhost:4000'), 'http://localhost:4000'),
    litellmApiKey: setting(env, 'LITELLM_API_KEY', token),
    ingestBaseUrl: setting(env, 'INGEST_BASE_URL', url('http://127.0.0.1:3300')),
    ingestToken: setting(env, 'INGEST_TOKEN', token),
    modelTimeoutMs: setting(env, 'SUPERVISOR_MODEL_TIMEOUT_SECONDS', positive('seconds'), '180') * 1000,
    sessionIdleMs: setting(env, 'SUPERVISOR_SESSION_IDLE_MINUTES', positive('minutes'), '30') * 60_000,
    maxSessions: setting(env, 'SUPERVISOR_MAX_SESSIONS', count(10_000), String(DEFAULT_MAX_SESSIONS)),
    maxCalls: setting(env, 'SUPERVISOR_MAX_CALLS', count(100_000), String(DEFAULT_MAX_CALLS)),
    shutdownGraceMs: setting(env, 'SUPERVISOR_SHUTDOWN_SECONDS', positive('seconds'), '30') * 1000,
    projectRoots: setting(env, 'SUPERVISOR_PROJECT_ROOTS', absoluteList) ?? [],
    allowedHosts: setting(env, 'SUPERVISOR_ALLOWED_HOSTS', hostList) ?? [],
    logLevel: setting(env, 'LOG_LEVEL', logLevel, 'info'),
  };
}

export interface BridgeConfig {
  url: string;
  token: string | undefined;
  fileCapBytes: number;
  totalCapBytes: number;
  /** Folders the bridge may read a call's files under, besides its working directory. */
  projectRoots: string[];
  /** At start, how long a server that is not up yet is retried (0: tried once). */
  connectMs: number;
}

/** 0 allowed: "do not wait"; past 10 minutes a client would long have given up on the bridge. */
const connectSeconds = z
  .string()
  .regex(/^\d+$/, 'must be a whole number of seconds')
  .transform(Number)
  .refine((n) => n <= 600, 'must be at most 600 seconds');

export function bridgeConfig(env: Env = process.env): BridgeConfig {
  return {
    url: setting(env, 'SUPERVISOR_URL', url('http://127.0.0.1:3200/mcp'), 'http://127.0.0.1:3200/mcp'),
    token: setting(env, 'SUPERVISOR_TOKEN', token),
    fileCapBytes: setting(env, 'BRIDGE_FILE_CAP_KB', positive('KiB'), '64') * 1024,
    totalCapBytes: setting(env, 'BRIDGE_TOTAL_CAP_KB', positive('KiB'), '256') * 1024,
    projectRoots: setting(env, 'BRIDGE_PROJECT_ROOTS', absoluteList) ?? [],
    connectMs: setting(env, 'BRIDGE_CONNECT_SECONDS', connectSeconds, '10') * 1000,
  };
}
