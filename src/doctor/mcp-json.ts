/**
 * A project's `.mcp.json`, as Claude Code reads it: it parses, it has a supervisor entry — HTTP to a
 * URL ending in /mcp, or the stdio bridge (README.md, "Connect Claude Code") — no token is written
 * in it in clear, and the server it names answers.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Env } from '../../common/env.js';
import { errorLine } from '../errors.js';
import { ok, problem, warn, type Finding } from './findings.js';

/** How long the server's /health may take: one that is up answers at once. */
const HEALTH_TIMEOUT_MS = 3000;
const DEFAULT_URL = 'http://127.0.0.1:3200/mcp';
/** Variables of a bridge entry that hold a secret, and must come from the environment (`${…}`). */
const SECRET_VARIABLES = ['SUPERVISOR_TOKEN', 'INGEST_TOKEN', 'LITELLM_API_KEY'];

interface ServerEntry {
  type?: unknown;
  url?: unknown;
  headers?: unknown;
  command?: unknown;
  args?: unknown;
  env?: unknown;
}

export interface McpJsonTarget {
  projectDir: string;
  /** The folder was named with --project: a missing file there is a problem, not a hint. */
  named: boolean;
}

export async function checkMcpJson({ projectDir, named }: McpJsonTarget, env: Env): Promise<Finding[]> {
  const file = join(projectDir, '.mcp.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    const say = missing ? `no .mcp.json in ${projectDir}` : `${file} cannot be read (${errorLine(error, 80)})`;
    const fix = 'write one with `supervisor init`, or copy examples/mcp.json (README.md, "Connect Claude Code"); `doctor --project DIR` checks another project';
    return [missing && !named ? warn(`${say}: ${fix}`) : problem(`${say}: ${fix}`)];
  }
  let servers: Record<string, ServerEntry>;
  try {
    const parsed = JSON.parse(text) as { mcpServers?: unknown };
    if (!parsed || typeof parsed.mcpServers !== 'object' || parsed.mcpServers === null) throw new Error('it has no "mcpServers" object');
    servers = parsed.mcpServers as Record<string, ServerEntry>;
  } catch (error) {
    return [problem(`${file} is not usable: ${errorLine(error, 120)}; correct it (README.md, "Connect Claude Code", shows the shape)`)];
  }
  const ours = Object.entries(servers).filter(([name, entry]) => isOurs(name, entry));
  if (ours.length === 0) {
    return [problem(`${file} has no supervisor server: add a "supervisor" entry (HTTP to ${DEFAULT_URL}, or the stdio bridge), e.g. with \`supervisor init\``)];
  }
  const findings: Finding[] = [];
  for (const [name, entry] of ours) findings.push(...(await checkEntry(`${file} "${name}"`, entry, env)));
  return findings;
}

function isOurs(name: string, entry: ServerEntry): boolean {
  if (!entry || typeof entry !== 'object') return false;
  if (name.toLowerCase().includes('supervisor')) return true;
  const words = [String(entry.command), ...argsOf(entry)];
  return words.includes('bridge') && words.some((word) => /supervisor|cli\.js$/.test(word));
}

async function checkEntry(where: string, entry: ServerEntry, env: Env): Promise<Finding[]> {
  const isHttp = entry.type === 'http' || entry.type === 'sse' || (entry.type === undefined && typeof entry.url === 'string');
  return isHttp ? checkHttpEntry(where, entry, env) : checkBridgeEntry(where, entry, env);
}

async function checkHttpEntry(where: string, entry: ServerEntry, env: Env): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [header, value] of Object.entries(record(entry.headers))) {
    if (header.toLowerCase() === 'authorization' && typeof value === 'string' && writtenInClear(value.replace(/^\s*Bearer\s+/i, ''))) {
      findings.push(problem(`${where} has its token written in clear (headers.${header}): anyone who reads the file has it; write "Bearer \${SUPERVISOR_TOKEN}" and set SUPERVISOR_TOKEN where Claude Code starts`));
    }
  }
  if (typeof entry.url !== 'string') return [...findings, problem(`${where} has no "url": set it to the server's MCP address, such as ${DEFAULT_URL}`)];
  findings.push(await checkServerUrl(where, 'url', entry.url, env));
  return findings;
}

async function checkBridgeEntry(where: string, entry: ServerEntry, env: Env): Promise<Finding[]> {
  const findings: Finding[] = [];
  const args = argsOf(entry);
  if (typeof entry.command !== 'string') return [problem(`${where} has neither "url" nor "command": give it the HTTP url or the bridge command (README.md, "Connect Claude Code")`)];
  if (!args.includes('bridge')) findings.push(problem(`${where} runs ${[entry.command, ...args].join(' ')}, not the bridge: a stdio entry runs \`supervisor bridge\``));
  findings.push(await checkCommand(where, entry.command, args, env));
  const bridgeEnv = record(entry.env);
  for (const name of SECRET_VARIABLES) {
    const value = bridgeEnv[name];
    if (typeof value === 'string' && writtenInClear(value)) {
      findings.push(problem(`${where} has ${name} written in clear (env.${name}): anyone who reads the file has it; write "\${${name}}" and set it where Claude Code starts`));
    }
  }
  // The entry's value over the one Claude Code passes down; empty is unset to the bridge (common/env.ts `setting`).
  const url = typeof bridgeEnv.SUPERVISOR_URL === 'string' ? bridgeEnv.SUPERVISOR_URL : (env.SUPERVISOR_URL ?? '');
  findings.push(await checkServerUrl(where, 'env.SUPERVISOR_URL', url, env, DEFAULT_URL));
  return findings;
}

const record = (value: unknown) => (value && typeof value === 'object' ? (value as Record<string, unknown>) : {});
const argsOf = (entry: ServerEntry) => (Array.isArray(entry.args) ? entry.args.map(String) : []);

/** The bridge's command can be started: on PATH, or a file that exists (and the script node is given). */
async function checkCommand(where: string, command: string, args: string[], env: Env): Promise<Finding> {
  const found = await findExecutable(command, env.PATH ?? '');
  if (!found) {
    return problem(`${where} runs "${command}", which is not on PATH: install supervisor (npm install -g, docs/claude-code.md#installing-the-bridge), or run "node" with the path to dist/src/cli.js`);
  }
  const script = args.find((arg) => arg.endsWith('.js'));
  if (script && isAbsolute(script) && !(await exists(script))) return problem(`${where} runs ${script}, which does not exist: build it (npm run build) or correct the path`);
  return ok(`${where} runs ${command} (${found})`);
}

async function findExecutable(command: string, path: string): Promise<string | null> {
  if (command.includes('/')) return (await exists(resolve(command), constants.X_OK)) ? resolve(command) : null;
  for (const folder of path.split(delimiter).filter(Boolean)) {
    const candidate = join(folder, command);
    if (await exists(candidate, constants.X_OK)) return candidate;
  }
  return null;
}

const exists = (file: string, mode = constants.F_OK) => access(file, mode).then(() => true, () => false);

/** The server a url names (`whenEmpty` if it expands to nothing) answers its /health: said when it does, and what to do when not. */
async function checkServerUrl(where: string, field: string, written: string, env: Env, whenEmpty = ''): Promise<Finding> {
  const { value: expanded, unset } = expand(written, env);
  if (unset.length > 0) return problem(`${where} ${field} uses \${${unset.join('}, ${')}}, unset here and without a default: set it, or write "\${${unset[0]}:-${DEFAULT_URL}}"`);
  const value = expanded || whenEmpty;
  const url = URL.parse(value);
  if (!url) return problem(`${where} ${field} is not a URL: write the server's MCP address, such as ${DEFAULT_URL}`);
  if (!url.pathname.endsWith('/mcp')) return problem(`${where} ${field} ${value} does not end in /mcp, the server's MCP route: write ${new URL('/mcp', url).href}`);
  const health = new URL(url.pathname.replace(/\/mcp$/, '/health'), url);
  try {
    const response = await fetch(health, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    await response.body?.cancel();
    if (response.ok) return ok(`${where}: the supervisor server answers at ${value}`);
    return problem(`${where}: ${health.href} answers ${response.status}: is ${value} the supervisor server? Correct ${field}`);
  } catch (error) {
    return problem(`${where}: nothing answers at ${value} (${errorLine(error, 80)}): start the server (\`supervisor serve\`, npm start in the clone) or correct ${field}`);
  }
}

/** `${VAR}` and `${VAR:-default}` as Claude Code expands them in .mcp.json, from `env`; the variables left unset. */
function expand(text: string, env: Env): { value: string; unset: string[] } {
  const unset: string[] = [];
  const value = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
    const given = env[name];
    if (given) return given;
    if (fallback !== undefined) return fallback;
    unset.push(name);
    return '';
  });
  return { value, unset };
}

/** A secret is in clear when anything is left of it once its `${…}` references are taken out. */
const writtenInClear = (value: string) => value.replace(/\$\{[^}]*\}/g, '').trim() !== '';
