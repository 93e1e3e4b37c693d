/**
 * `supervisor init`: connects a project's Claude Code to supervisor by adding an entry to the
 * project's `.mcp.json`, in exactly the shapes the README's "Connect Claude Code" shows (and
 * examples/mcp.json holds): the HTTP endpoint, or the stdio bridge. The token is written as a
 * `${VAR}` reference Claude Code expands, never its value.
 *
 * The file may be the team's, checked in: every other server and key is kept, in order, with the
 * file's indentation, line ends and byte order mark; an entry of the same name that differs is only
 * replaced with --force; a file that is not JSON is refused with where it breaks, never rewritten;
 * the new file replaces the old one in one rename, so Claude Code never reads half of it.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readFile, readlink, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError, port, setting, type Env } from '../common/env.js';
import { commandOptions } from './command-options.js';
import { PACKAGE_NAME } from './config.js';
import { errorLine } from './errors.js';
import { VERSION } from './version.js';

const INIT_USAGE = `usage: supervisor init [options]

Adds supervisor to a project's .mcp.json (created if missing; other servers and settings are kept),
so Claude Code started in that project connects to it.

options:
  --project DIR     the project folder (default: the current folder)
  --url URL         the MCP server (default: http://127.0.0.1:SUPERVISOR_PORT/mcp, port 3200)
  --bridge          a stdio entry, "supervisor-bridge": Claude Code starts \`supervisor bridge\`, which
                    attaches the files a call names and forwards to --url (a server on another machine)
  --npx             with --bridge: start it with \`npx -y ${PACKAGE_NAME}@${VERSION} bridge\`, nothing installed
  --name NAME       the entry's name (default: supervisor, or supervisor-bridge with --bridge)
  --token-env VAR   the variable holding the server's token (default: SUPERVISOR_TOKEN); the file
                    gets \${VAR}, for Claude Code to expand, never the token itself
  --force           replace an entry of that name that differs
  --print           print the \`claude mcp add\` command that does the same, and write nothing
  -h, --help        this text

exit codes: 0 written, already there, or printed; 1 the file was left as it was (not valid JSON, a
symbolic link, an entry that differs without --force, a write that failed); 2 a bad option or setting`;

export interface InitOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultOutput: InitOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** An `.mcp.json` server entry, as Claude Code reads it. */
type Entry = Record<string, unknown>;

/** A refusal that leaves the file as it was: exit code 1, the message says what to do. */
class Refused extends Error {}

const options = (argv: string[]) =>
  commandOptions(
    argv,
    {
      project: { type: 'string' },
      url: { type: 'string' },
      bridge: { type: 'boolean' },
      npx: { type: 'boolean' },
      name: { type: 'string' },
      'token-env': { type: 'string', default: 'SUPERVISOR_TOKEN' },
      force: { type: 'boolean' },
      print: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    INIT_USAGE,
  );

function mcpUrl(given: string | undefined, env: Env): string {
  if (given === undefined) return `http://127.0.0.1:${setting(env, 'SUPERVISOR_PORT', port, '3200')}/mcp`;
  const url = URL.parse(given);
  if (!url) throw new ConfigError(`--url must be the MCP server's URL, such as http://127.0.0.1:3200/mcp (got "${given}")`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--url must be an http or https URL (got "${given}")`);
  if (url.username || url.password) throw new ConfigError('--url must not hold a user name or password: the token goes in --token-env');
  return given;
}

/** The entry the README documents for each way of connecting, with the token as a reference. */
function entryFor(values: ReturnType<typeof options>, url: string): Entry {
  const tokenVar = values['token-env'];
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenVar)) throw new ConfigError(`--token-env must be an environment variable's name, such as SUPERVISOR_TOKEN (got "${tokenVar}")`);
  if (values.npx && !values.bridge) throw new ConfigError('--npx goes with --bridge: only the bridge is a command Claude Code starts');
  if (!values.bridge) {
    // `:-none`: with the variable unset Claude Code still expands the reference, and a server without a token ignores it.
    return { type: 'http', url, headers: { Authorization: `Bearer \${${tokenVar}:-none}` } };
  }
  return {
    type: 'stdio',
    ...(values.npx ? { command: 'npx', args: ['-y', `${PACKAGE_NAME}@${VERSION}`, 'bridge'] } : { command: 'supervisor', args: ['bridge'] }),
    env: { SUPERVISOR_URL: `\${SUPERVISOR_URL:-${url}}`, SUPERVISOR_TOKEN: `\${${tokenVar}:-}` },
  };
}

/** A word as the shell reads it back unchanged: single-quoted unless it is plainly safe. */
const shellWord = (word: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/**
 * The `claude mcp add` command line that writes the same entry to the project's `.mcp.json`
 * (`--scope project`). Syntax as the Claude Code MCP docs give it (code.claude.com/docs/en/mcp, as
 * read in February 2026): every option before the server's name, `--header "Name: value"` for HTTP,
 * `--env KEY=value` and the command after `--` for stdio.
 */
function claudeMcpAdd(name: string, entry: Entry, project: string): string {
  const words = ['claude', 'mcp', 'add', '--transport', String(entry.type), '--scope', 'project'];
  if (entry.type === 'http') {
    for (const [header, value] of Object.entries(entry.headers as Record<string, string>)) words.push('--header', `${header}: ${value}`);
    words.push(name, String(entry.url));
  } else {
    for (const [key, value] of Object.entries(entry.env as Record<string, string>)) words.push('--env', `${key}=${value}`);
    words.push(name, '--', String(entry.command), ...(entry.args as string[]));
  }
  const line = words.map(shellWord).join(' ');
  return project === process.cwd() ? line : `cd ${shellWord(project)} && ${line}`;
}

/** The offset a JSON.parse message names ("… at position 12"), or NaN: not every message names one. */
const positionIn = (error: Error) => Number(/at position (\d+)/.exec(error.message)?.[1] ?? NaN);

/** Where JSON.parse gave up in `text`, as a 1-based line and column. */
function whereInvalid(text: string, error: Error): { line: number; column: number } {
  let offset = positionIn(error);
  if (Number.isNaN(offset)) {
    // Some messages give no position: find the shortest prefix that cannot start a valid document.
    const viable = (end: number) => {
      try {
        JSON.parse(text.slice(0, end));
        return true;
      } catch (e) {
        return /Unexpected end/.test((e as Error).message) || positionIn(e as Error) >= end;
      }
    };
    let [low, high] = [0, text.length];
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (viable(middle + 1)) low = middle + 1;
      else high = middle;
    }
    offset = low;
  }
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** The file's own style, so a rewrite changes only the entry. */
interface Style {
  bom: boolean;
  newline: '\n' | '\r\n';
  indent: string;
  finalNewline: boolean;
}

interface McpFile {
  document: Record<string, unknown>;
  style: Style;
  mode: number;
  exists: boolean;
}

async function readMcpFile(file: string): Promise<McpFile> {
  const info = await lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!info) return { document: {}, style: { bom: false, newline: '\n', indent: '  ', finalNewline: true }, mode: 0o644, exists: false };
  if (info.isSymbolicLink()) {
    throw new Refused(`${file} is a symbolic link (to ${await readlink(file)}); init does not write through links: add the entry to the file it points to, or replace the link with a file`);
  }
  if (!info.isFile()) throw new Refused(`${file} is not a regular file`);
  const raw = await readFile(file, 'utf8');
  const bom = raw.startsWith('\uFEFF');
  const text = bom ? raw.slice(1) : raw;
  const style: Style = {
    bom,
    newline: text.includes('\r\n') ? '\r\n' : '\n',
    indent: /^[ \t]*[{[][ \t]*\r?\n([ \t]+)\S/.exec(text)?.[1] ?? '  ',
    finalNewline: text.length === 0 || /\n$/.test(text),
  };
  return { document: text.trim() === '' ? {} : parseMcpJson(file, text), style, mode: info.mode & 0o777, exists: true };
}

/** The object a `.mcp.json` holds; anything init could not add an entry to is refused, and the file left as it is. */
function parseMcpJson(file: string, text: string): Record<string, unknown> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const { line, column } = whereInvalid(text, error as Error);
    // Without the excerpt V8 quotes: the file may hold a token in clear.
    throw new Refused(`${file} is not valid JSON (line ${line}, column ${column}: ${(error as Error).message.replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')}); left as it is: fix it, then run init again`);
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) throw new Refused(`${file} holds no JSON object; left as it is`);
  const servers = (document as Record<string, unknown>).mcpServers;
  if (servers !== undefined && (servers === null || typeof servers !== 'object' || Array.isArray(servers))) {
    throw new Refused(`${file}: "mcpServers" is not an object; left as it is`);
  }
  return document as Record<string, unknown>;
}

/** Writes `text` to `file` in one rename: a reader sees the old file or the new one, never a mix. */
async function replaceFile(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode, flag: 'wx', flush: true });
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

function serialize(document: Record<string, unknown>, style: Style): string {
  const text = JSON.stringify(document, null, style.indent).replace(/\n/g, style.newline);
  return `${style.bom ? '\uFEFF' : ''}${text}${style.finalNewline ? style.newline : ''}`;
}

/** The keys in which two entries differ: names only, since an entry may hold a token in clear. */
const differingKeys = (a: Entry, b: Entry) => [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => !isDeepStrictEqual(a[key], b[key]));

async function init(values: ReturnType<typeof options>, env: Env, output: InitOutput): Promise<number> {
  const project = resolve(values.project ?? '.');
  const folder = await stat(project).catch(() => null);
  if (!folder?.isDirectory()) throw new ConfigError(`--project ${project}: no such folder`);
  const entry = entryFor(values, mcpUrl(values.url, env));
  const name = values.name ?? (values.bridge ? 'supervisor-bridge' : 'supervisor');
  // Claude Code names the tools mcp__<name>__<tool>: letters, digits, - and _ keep those names plain.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new ConfigError(`--name must be 1 to 64 letters, digits, - or _ (got "${name}")`);

  if (values.print) {
    output.out(`${claudeMcpAdd(name, entry, project)}\n`);
    return 0;
  }

  const file = join(project, '.mcp.json');
  const { document, style, mode, exists } = await readMcpFile(file);
  const servers = (document.mcpServers ?? {}) as Record<string, Entry>;
  const existing = servers[name];
  if (existing !== undefined && isDeepStrictEqual(existing, entry)) {
    output.out(`${file} already has this "${name}" entry; nothing changed\n`);
    return 0;
  }
  if (existing !== undefined && !values.force) {
    const keys = existing !== null && typeof existing === 'object' ? differingKeys(existing, entry) : ['the whole entry'];
    throw new Refused(`${file} already has a "${name}" entry that differs (in ${keys.join(', ')}); left as it is: run again with --force to replace it (the other entries are kept), or --name to add another`);
  }
  // Assigning keeps a replaced entry where it was, and adds a new one last.
  document.mcpServers = { ...servers, [name]: entry };
  await replaceFile(file, serialize(document, style), mode);

  const how = entry.type === 'http' ? `HTTP, ${String(entry.url)}` : `stdio, ${String(entry.command)} ${(entry.args as string[]).join(' ')}`;
  output.out(`${exists ? (existing ? 'replaced' : 'added') : 'created'} ${file}: "${name}" (${how}), the token as \${${values['token-env']}}\n`);
  const twin = values.bridge ? 'supervisor' : 'supervisor-bridge';
  if (name !== twin && servers[twin] !== undefined) output.out(`note: "${twin}" is there too: Claude Code will list supervisor's tools twice; remove one if you need only one\n`);
  output.out('Claude Code asks to approve the project\'s servers when it next starts in this folder.\n');
  return 0;
}

export async function runInit(argv: string[], env: Env = process.env, output: InitOutput = defaultOutput): Promise<number> {
  try {
    const values = options(argv);
    if (values.help) {
      output.out(`${INIT_USAGE}\n`);
      return 0;
    }
    return await init(values, env, output);
  } catch (error) {
    if (error instanceof ConfigError) {
      output.err(`supervisor init: ${error.message}\n`);
      return 2;
    }
    output.err(`supervisor init: ${error instanceof Refused ? error.message : `could not write .mcp.json: ${errorLine(error)}`}\n`);
    return 1;
  }
}
