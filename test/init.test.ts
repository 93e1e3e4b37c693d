/**
 * `supervisor init` on real project folders: it writes the README's entries into `.mcp.json`, merges
 * into a team's file without touching anything else, never writes a token in clear, and leaves a file
 * it cannot safely change exactly as it was.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInit } from '../src/init.js';
import { VERSION } from '../src/version.js';
import { runCli } from './support/cli.js';

let project: string;

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'supervisor-init-'));
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

/** `supervisor init <args>` in `project`, with only `env` for environment. */
async function init(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runInit(['--project', project, ...args], env, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const mcpJson = () => readFile(join(project, '.mcp.json'), 'utf8');
const example = async () => (JSON.parse(await readFile('examples/mcp.json', 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers;

describe('supervisor init writes the entries the README documents', () => {
  it('creates .mcp.json with the HTTP entry of examples/mcp.json', async () => {
    const { code, out } = await init([]);
    expect(code).toBe(0);
    expect(out).toContain('created');
    const text = await mcpJson();
    expect(JSON.parse(text)).toEqual({ mcpServers: { supervisor: (await example()).supervisor } });
    expect(text).toMatch(/^\{\n {2}"mcpServers"/);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('--bridge writes the bridge entry of examples/mcp.json; --npx starts it through npx, pinned to this version', async () => {
    expect((await init(['--bridge'])).code).toBe(0);
    expect(JSON.parse(await mcpJson()).mcpServers).toEqual({ 'supervisor-bridge': (await example())['supervisor-bridge'] });
    expect((await init(['--bridge', '--npx', '--name', 'by-npx'])).code).toBe(0);
    expect(JSON.parse(await mcpJson()).mcpServers['by-npx']).toMatchObject({ type: 'stdio', command: 'npx', args: ['-y', `supervisor-mcp@${VERSION}`, 'bridge'] });
  });

  it('takes the port from SUPERVISOR_PORT, or the URL from --url, and the token variable from --token-env, never the token', async () => {
    const secret = 'a-token-that-must-stay-out-of-the-file';
    expect((await init([], { SUPERVISOR_PORT: '4321', SUPERVISOR_TOKEN: secret })).code).toBe(0);
    expect(JSON.parse(await mcpJson()).mcpServers.supervisor.url).toBe('http://127.0.0.1:4321/mcp');
    expect((await init(['--bridge', '--url', 'https://supervisor.example/mcp', '--token-env', 'TEAM_TOKEN'], { TEAM_TOKEN: secret })).code).toBe(0);
    const text = await mcpJson();
    expect(JSON.parse(text).mcpServers['supervisor-bridge'].env).toEqual({ SUPERVISOR_URL: '${SUPERVISOR_URL:-https://supervisor.example/mcp}', SUPERVISOR_TOKEN: '${TEAM_TOKEN:-}' });
    expect(text).not.toContain(secret);
  });
});

describe('supervisor init merges into an existing .mcp.json', () => {
  const teamFile = [
    '\uFEFF{',
    '    "$schema": "https://example.com/mcp.schema.json",',
    '    "mcpServers": {',
    '        "github": { "type": "http", "url": "https://api.example.com/mcp", "headers": { "Authorization": "Bearer ${GITHUB_TOKEN}" } },',
    '        "files": { "command": "npx", "args": ["-y", "files-server"] }',
    '    },',
    '    "comment": "kept"',
    '}',
    '',
  ].join('\r\n');

  it('keeps every other server and key, in order, with the file\'s indentation, CRLF line ends and byte order mark', async () => {
    await writeFile(join(project, '.mcp.json'), teamFile);
    const { code, out } = await init([]);
    expect(code).toBe(0);
    expect(out).toContain('added');
    const text = await mcpJson();
    expect(text.startsWith('\uFEFF{\r\n    "$schema"')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(text.endsWith('}\r\n')).toBe(true);
    const merged = JSON.parse(text.slice(1));
    const before = JSON.parse(teamFile.slice(1));
    expect(Object.keys(merged)).toEqual(['$schema', 'mcpServers', 'comment']);
    expect(Object.keys(merged.mcpServers)).toEqual(['github', 'files', 'supervisor']);
    expect(merged).toEqual({ ...before, mcpServers: { ...before.mcpServers, supervisor: (await example()).supervisor } });
    // Written in one rename: no temporary file is left beside it.
    expect(await readdir(project)).toEqual(['.mcp.json']);
  });

  it('leaves the file untouched when the same entry is already there', async () => {
    await init([]);
    const before = await lstat(join(project, '.mcp.json'));
    const { code, out } = await init([]);
    expect(code).toBe(0);
    expect(out).toContain('nothing changed');
    expect((await lstat(join(project, '.mcp.json'))).mtimeMs).toBe(before.mtimeMs);
  });

  it('refuses to replace a "supervisor" entry that differs, naming what differs but not its values, and says how: --force', async () => {
    const theirs = '{\n  "mcpServers": {\n    "supervisor": { "type": "http", "url": "http://10.0.0.5:30320/mcp", "headers": { "Authorization": "Bearer s3cr3t-in-clear" } },\n    "other": { "command": "x" }\n  }\n}\n';
    await writeFile(join(project, '.mcp.json'), theirs);
    const refused = await init([]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/already has a "supervisor" entry that differs \(in url, headers\).*--force/);
    expect(refused.err).not.toContain('s3cr3t-in-clear');
    expect(await mcpJson()).toBe(theirs);

    const forced = await init(['--force']);
    expect(forced.code).toBe(0);
    expect(forced.out).toContain('replaced');
    const servers = JSON.parse(await mcpJson()).mcpServers;
    expect(Object.keys(servers)).toEqual(['supervisor', 'other']);
    expect(servers).toEqual({ supervisor: (await example()).supervisor, other: { command: 'x' } });
  });

  it('refuses a file that is not valid JSON, with its line and column, and leaves it as it was', async () => {
    for (const [text, where] of [
      ['{\n  "mcpServers": {\n    "a": { "command": "x" },\n  }\n}\n', 'line 4, column 3'],
      ['\uFEFF{\r\n  "mcpServers": {\r\n    "a": { "command": tru }\r\n  }\r\n}\r\n', 'line 3, column 26'],
      ['{\n  "mcpServers": {}\n', 'line 3, column 1'],
    ] as const) {
      await writeFile(join(project, '.mcp.json'), text);
      const { code, err } = await init([]);
      expect(code, text).toBe(1);
      expect(err, text).toContain(`is not valid JSON (${where}:`);
      expect(err, text).toContain('left as it is');
      expect(err.trim().split('\n'), text).toHaveLength(1);
      expect(await mcpJson()).toBe(text);
    }
  });

  it('refuses a symbolic link, and a file whose mcpServers is not an object, changing nothing', async () => {
    const real = join(project, 'shared.json');
    await writeFile(real, '{"mcpServers": {}}\n');
    await symlink(real, join(project, '.mcp.json'));
    const linked = await init([]);
    expect(linked.code).toBe(1);
    expect(linked.err).toContain('is a symbolic link');
    expect(await readFile(real, 'utf8')).toBe('{"mcpServers": {}}\n');
    expect((await lstat(join(project, '.mcp.json'))).isSymbolicLink()).toBe(true);

    await rm(join(project, '.mcp.json'));
    await writeFile(join(project, '.mcp.json'), '{"mcpServers": []}\n');
    const wrongShape = await init([]);
    expect(wrongShape.code).toBe(1);
    expect(wrongShape.err).toContain('"mcpServers" is not an object');
    expect(await mcpJson()).toBe('{"mcpServers": []}\n');
  });
});

describe('supervisor init --print', () => {
  it('prints the `claude mcp add` line for the same entry, project scope, the token reference single-quoted, and writes nothing', async () => {
    const http = await init(['--print']);
    expect(http.code).toBe(0);
    expect(http.out).toBe(`cd ${project} && claude mcp add --transport http --scope project --header 'Authorization: Bearer \${SUPERVISOR_TOKEN:-none}' supervisor http://127.0.0.1:3200/mcp\n`);
    const bridge = await init(['--print', '--bridge', '--token-env', 'TEAM_TOKEN']);
    expect(bridge.out).toBe(
      `cd ${project} && claude mcp add --transport stdio --scope project --env 'SUPERVISOR_URL=\${SUPERVISOR_URL:-http://127.0.0.1:3200/mcp}' --env 'SUPERVISOR_TOKEN=\${TEAM_TOKEN:-}' supervisor-bridge -- supervisor bridge\n`,
    );
    expect(await readdir(project)).toEqual([]);
  });
});

describe('supervisor init refuses bad options with exit code 2', () => {
  it.each([
    [['--nope'], /Unknown option '--nope'/],
    [['--url', 'ftp://host/mcp'], /--url must be an http or https URL/],
    [['--url', 'not a url'], /--url must be the MCP server's URL/],
    [['--token-env', 'NOT A NAME'], /--token-env must be an environment variable's name/],
    [['--npx'], /--npx goes with --bridge/],
    [['--name', '__proto__ x'], /--name must be 1 to 64 letters, digits, - or _/],
    [['--project', '/no/such/folder/anywhere'], /--project \/no\/such\/folder\/anywhere: no such folder/],
  ])('%j', async (args, message) => {
    const { code, err } = await init(args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(await readdir(project).catch(() => [])).toEqual([]);
  });

  it('a bad SUPERVISOR_PORT is named', async () => {
    const { code, err } = await init([], { SUPERVISOR_PORT: 'http' });
    expect(code).toBe(2);
    expect(err).toContain('SUPERVISOR_PORT must be a whole number');
  });
});

describe('the built command', () => {
  it('`supervisor init` runs from the command line, with its exit codes', async () => {
    const written = await runCli(['init', '--project', project, '--bridge']);
    expect(written.code, written.stderr).toBe(0);
    expect(JSON.parse(await mcpJson()).mcpServers['supervisor-bridge'].command).toBe('supervisor');
    const bad = await runCli(['init', '--project', project, '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('supervisor init: Unknown option');
    await mkdir(join(project, 'sub'));
    await writeFile(join(project, 'sub', '.mcp.json'), '{');
    const invalid = await runCli(['init', '--project', join(project, 'sub')]);
    expect(invalid.code).toBe(1);
  });
});
