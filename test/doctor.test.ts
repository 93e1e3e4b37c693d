/**
 * `supervisor doctor` on real setups: a real supervisor (MCP server and brain) and a fake LiteLLM on
 * loopback, real brain folders and .mcp.json files in temp folders. A healthy setup exits 0; each
 * broken one names its problem on one line, with what to do, and exits 1.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../common/env.js';
import { MAX_LISTED_NOTES } from '../src/doctor/brain.js';
import { runDoctor } from '../src/doctor/command.js';
import { CLI } from './support/cli.js';
import { FIXTURE_ENV, MODELS } from './support/fixture-config.js';
import { freePort } from './support/ports.js';
import { startService, type TestService } from './support/service.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

const ALL_MODELS = Object.values(MODELS);
let sup: TestSupervisor;
let work: string;
let brainDir: string;
let projectDir: string;

beforeAll(async () => {
  sup = await startTestSupervisor({}, { catalogue: ALL_MODELS });
  work = await mkdtemp(join(tmpdir(), 'supervisor-doctor-'));
});
afterAll(async () => {
  await sup.stop();
  await rm(work, { recursive: true, force: true });
});

let counter = 0;
beforeEach(async () => {
  counter += 1;
  brainDir = join(work, `brain-${counter}`);
  projectDir = join(work, `project-${counter}`);
  await mkdir(join(brainDir, 'knowledge'), { recursive: true });
  await mkdir(projectDir);
  await writeFile(join(brainDir, 'knowledge', 'retry.md'), '---\ntitle: Retry with backoff\ntags: [http]\n---\nBack off exponentially.\n');
  await writeMcpJson({
    supervisor: { type: 'http', url: sup.mcpUrl, headers: { Authorization: 'Bearer ${SUPERVISOR_TOKEN:-none}' } },
    'supervisor-bridge': { type: 'stdio', command: 'node', args: [CLI, 'bridge'], env: { SUPERVISOR_URL: sup.mcpUrl, SUPERVISOR_TOKEN: '${SUPERVISOR_TOKEN:-}' } },
  });
});

const writeMcpJson = (servers: unknown) => writeFile(join(projectDir, '.mcp.json'), JSON.stringify({ mcpServers: servers }, null, 2));

/** A setup with nothing wrong: the tests' models, all served; a brain with one good note; a tool timeout of an hour. */
const healthyEnv = (): Record<string, string | undefined> => ({
  PATH: process.env.PATH,
  ...FIXTURE_ENV,
  LITELLM_BASE_URL: sup.llm.url,
  SUPERVISOR_BRAIN_DIR: brainDir,
  MCP_TOOL_TIMEOUT: '3600000',
});

async function doctor(env: Record<string, string | undefined>, argv: string[] = []): Promise<{ code: number; out: string; problems: string[]; warnings: string[] }> {
  let out = '';
  const code = await runDoctor(argv, env, { out: (text) => (out += text) }, projectDir);
  const lines = out.split('\n');
  return { code, out, problems: lines.filter((l) => l.startsWith('PROBLEM')), warnings: lines.filter((l) => l.startsWith('warn')) };
}

describe('a healthy setup', () => {
  it('is all ok, with each model timed and the server found where .mcp.json says, and exits 0', async () => {
    const run = await doctor(healthyEnv());
    expect(run.problems).toEqual([]);
    expect(run.warnings).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`LiteLLM at ${sup.llm.url} serves every model of models.yaml`);
    for (const model of ALL_MODELS) expect(run.out).toMatch(new RegExp(`ok +${model} gave a short answer in \\d+`));
    // Short answers, as the check promises: a handful of tokens each.
    expect(sup.llm.requests.map((r) => r.model).sort()).toEqual([...ALL_MODELS].sort());
    for (const request of sup.llm.requests) expect(request.max_tokens ?? request.max_completion_tokens).toBeLessThanOrEqual(16);
    expect(run.out).toContain(`"supervisor": the supervisor server answers at ${sup.mcpUrl}`);
    expect(run.out).toContain(`"supervisor-bridge": the supervisor server answers at ${sup.mcpUrl}`);
    expect(run.out).toContain('1 note(s), every frontmatter parses');
    expect(run.out.trim().split('\n').at(-1)).toBe('all is well');
  });

  it('--no-answers lists the served models but asks none of them', async () => {
    const run = await doctor(healthyEnv(), ['--no-answers']);
    expect(run.code).toBe(0);
    expect(sup.llm.requests).toEqual([]);
    expect(run.out).not.toContain('short answer');
  });
});

describe('settings', () => {
  it('names each misspelt variable with the real one, and each refused value, never a secret', async () => {
    const run = await doctor({ ...healthyEnv(), SUPERVISOR_TOKNE: 'tok-secret-9f8e7d6c5b4a', LITELLM_URL: 'http://litellm:4000', SUPERVISOR_PORT: 'abc', INGEST_PORT: '99999' }, ['--no-answers']);
    expect(run.code).toBe(1);
    expect(run.problems).toEqual([
      expect.stringMatching(/^PROBLEM +LITELLM_URL is not a setting supervisor reads \(ignored\): did you mean LITELLM_BASE_URL\? Rename it/),
      expect.stringMatching(/^PROBLEM +SUPERVISOR_TOKNE is not a setting supervisor reads \(ignored\): did you mean SUPERVISOR_TOKEN\? Rename it/),
      expect.stringMatching(/^PROBLEM +SUPERVISOR_PORT must be a whole number \(got "abc"\): correct it/),
      expect.stringMatching(/^PROBLEM +INGEST_PORT must be a port number from 0 to 65535 \(got "99999"\): correct it/),
    ]);
    expect(run.out).not.toContain('tok-secret');
    // The other checks still ran, on the defaults of the refused values.
    expect(run.out).toContain(`LiteLLM at ${sup.llm.url} answers`);
  });

  it('a token that does not pass is named without its value', async () => {
    const run = await doctor({ ...healthyEnv(), SUPERVISOR_TOKEN: 'has a space-secret' }, ['--no-answers']);
    expect(run.problems).toEqual([expect.stringMatching(/^PROBLEM +SUPERVISOR_TOKEN must be printable ASCII without spaces: correct it/)]);
    expect(run.out).not.toContain('space-secret');
  });
});

describe('LiteLLM and the models', () => {
  it('names each model of models.yaml that LiteLLM does not serve, and times only the served ones', async () => {
    sup.llm.serve([MODELS.primary, MODELS.fallback]);
    const run = await doctor(healthyEnv());
    expect(run.code).toBe(1);
    expect(run.problems.sort()).toEqual(
      [MODELS.planner, MODELS.small].map((model) => expect.stringContaining(`does not serve ${model}, which models.yaml (SUPERVISOR_MODELS_FILE) names: add a model_name ${model}`)),
    );
    expect(sup.llm.requests.map((r) => r.model).sort()).toEqual([MODELS.fallback, MODELS.primary]);
  });

  it('says LiteLLM is not reachable, and what to set', async () => {
    const run = await doctor({ ...healthyEnv(), LITELLM_BASE_URL: `http://127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(1);
    expect(run.problems).toEqual([expect.stringMatching(/LiteLLM at http:\/\/127\.0\.0\.1:\d+ is not reachable \(ECONNREFUSED\): start it, or set LITELLM_BASE_URL/)]);
  });

  it('names a model that fails its short answer, with the reason', async () => {
    sup.llm.behave(MODELS.planner, { kind: 'status', status: 500, message: 'CUDA out of memory' });
    const run = await doctor(healthyEnv());
    expect(run.code).toBe(1);
    expect(run.problems).toEqual([expect.stringMatching(new RegExp(`^PROBLEM +${MODELS.planner} gave no short answer \\(500\\): CUDA out of memory$`))]);
  });

  it('names a models.yaml that does not load', async () => {
    const file = join(work, `models-${counter}.yaml`);
    await writeFile(file, 'default_chain: []\n');
    const run = await doctor({ ...healthyEnv(), SUPERVISOR_MODELS_FILE: file }, ['--no-answers']);
    expect(run.code).toBe(1);
    expect(run.problems).toEqual([expect.stringContaining(`SUPERVISOR_MODELS_FILE ${file}: default_chain must list at least one model`)]);
  });
});

describe("Claude Code's tool timeout against the chains", () => {
  // The fixture's longest: the trainer, whose chain of two models is asked twice in a row.
  const worstMs = (modelSeconds: number) => 2 * 2 * modelSeconds * 1000;
  const toSet = (modelSeconds: number) => Math.ceil((worstMs(modelSeconds) + 60_000) / 60_000) * 60_000;

  it('an MCP_TOOL_TIMEOUT shorter than the worst case is a problem that says what to set', async () => {
    const run = await doctor({ ...healthyEnv(), SUPERVISOR_MODEL_TIMEOUT_SECONDS: '100', MCP_TOOL_TIMEOUT: String(worstMs(100) - 1) }, ['--no-answers']);
    expect(run.code).toBe(1);
    expect(run.problems).toEqual([expect.stringMatching(new RegExp(`a trainer call may take up to .*2 chains in a row × 2 model\\(s\\) × 100 s.*set MCP_TOOL_TIMEOUT=${toSet(100)} `))]);
  });

  it('unset, it is a warning (Claude Code may set it in its own settings), and the exit code stays 0', async () => {
    const env = healthyEnv();
    delete env.MCP_TOOL_TIMEOUT;
    const run = await doctor(env, ['--no-answers']);
    expect(run.problems).toEqual([]);
    expect(run.warnings).toEqual([expect.stringContaining(`when MCP_TOOL_TIMEOUT is unset: set MCP_TOOL_TIMEOUT=${toSet(180)} `)]);
    expect(run.code).toBe(0);
  });

  it('an MCP_TOOL_TIMEOUT as long as the worst case is ok', async () => {
    const run = await doctor({ ...healthyEnv(), MCP_TOOL_TIMEOUT: String(worstMs(180)) }, ['--no-answers']);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`MCP_TOOL_TIMEOUT = ${worstMs(180)}) covers the slowest consultation`);
  });
});

describe('the brain folder', () => {
  it('lists the notes whose frontmatter does not parse, with file and line, up to a bound', async () => {
    const knowledge = join(brainDir, 'knowledge');
    await mkdir(join(knowledge, 'team', 'api'), { recursive: true });
    // Line 4 is where the YAML goes wrong: an unclosed list runs into the next key.
    await writeFile(join(knowledge, 'team', 'api', 'broken.md'), '---\ntitle: Broken\ntags: [a\n  b: c\n---\nbody\n');
    for (let i = 0; i < MAX_LISTED_NOTES + 4; i++) await writeFile(join(knowledge, `js-${String(i).padStart(2, '0')}.md`), '---js\n{ title: "x" }\n---\nbody\n');
    // Neither a link (it could lead out of the brain) nor a FIFO (a read would hang) is read.
    const outside = join(work, `outside-${counter}.md`);
    await writeFile(outside, '---\n: : :\n---\n');
    await symlink(outside, join(knowledge, 'linked.md'));
    const outsideFolder = join(work, `outside-folder-${counter}`);
    await mkdir(outsideFolder);
    await writeFile(join(outsideFolder, 'far.md'), '---js\n{}\n---\n');
    await symlink(outsideFolder, join(knowledge, 'linked-folder'));
    execFileSync('mkfifo', [join(knowledge, 'pipe.md')]);

    const run = await doctor(healthyEnv(), ['--no-answers']);
    expect(run.code).toBe(1);
    const notes = run.problems.filter((line) => line.includes(knowledge));
    // The first MAX_LISTED_NOTES by path: js-00 … js-19 (the team/ folder sorts after them).
    expect(notes).toEqual(
      Array.from({ length: MAX_LISTED_NOTES }, (_, i) => `PROBLEM  ${join(knowledge, `js-${String(i).padStart(2, '0')}.md`)}:1: frontmatter language "js" is not YAML; fix its frontmatter (until then it is found by its body only, without its title, type and tags)`),
    );
    expect(run.problems.at(-1)).toBe('PROBLEM  … and 5 more note(s) whose frontmatter does not parse');
    expect(run.out).not.toMatch(/linked|pipe\.md|outside-|far\.md/);

    // The line a YAML error is on is the note's own.
    await rm(knowledge, { recursive: true });
    await mkdir(join(knowledge, 'team', 'api'), { recursive: true });
    await writeFile(join(knowledge, 'team', 'api', 'broken.md'), '---\ntitle: Broken\ntags: [a\n  b: c\n---\nbody\n');
    const one = await doctor(healthyEnv(), ['--no-answers']);
    expect(one.problems).toEqual([expect.stringMatching(new RegExp(`^PROBLEM +${join(knowledge, 'team', 'api', 'broken.md')}:4: frontmatter is not valid YAML: .*\\(4:\\d+\\); fix its frontmatter`))]);
  });

  it('a brain folder that is a file is a problem', async () => {
    const file = join(work, `a-file-${counter}`);
    await writeFile(file, 'not a folder');
    const run = await doctor({ ...healthyEnv(), SUPERVISOR_BRAIN_DIR: file }, ['--no-answers']);
    expect(run.code).toBe(1);
    expect(run.problems).toEqual([expect.stringContaining(`brain folder ${file} is a file, not a folder: set SUPERVISOR_BRAIN_DIR to a folder`)]);
  });

  it('a brain folder that does not exist yet is fine: serve creates it', async () => {
    const run = await doctor({ ...healthyEnv(), SUPERVISOR_BRAIN_DIR: join(work, `new-${counter}`, 'brain') }, ['--no-answers']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('does not exist yet: `supervisor serve` creates it');
  });
});

describe('the brain service (team mode: INGEST_BASE_URL set)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startService({ token: 'brain-token-0123456789' });
    await service.post('/write', { filename: 'retry', content: 'Back off exponentially.' }, { authorization: 'Bearer brain-token-0123456789' });
  });
  afterAll(() => service.stop());

  /** Team mode; the local brain folder is a file, which would be a problem if doctor still looked at it. */
  const teamEnv = async (ingest: Record<string, string>) => {
    const file = join(work, `not-used-${counter}`);
    await writeFile(file, 'the MCP server keeps no brain folder in team mode');
    return { ...healthyEnv(), SUPERVISOR_BRAIN_DIR: file, ...ingest };
  };

  it('is asked instead of the local folder: it answers, takes the token and keeps the session logs', async () => {
    const run = await doctor(await teamEnv({ INGEST_BASE_URL: service.url, INGEST_TOKEN: 'brain-token-0123456789' }), ['--no-answers']);
    expect(run.problems).toEqual([]);
    expect(run.out).toContain(`ok       ingestion service at ${service.url} answers and takes our token: 1 note(s)`);
    expect(run.out).toContain(`ok       ingestion service at ${service.url} keeps the session logs`);
    expect(run.out).not.toContain('brain folder');
    expect(run.code).toBe(0);
  });

  it('a token it refuses, or no service at the address, is a problem saying what to set', async () => {
    const refused = await doctor(await teamEnv({ INGEST_BASE_URL: service.url, INGEST_TOKEN: 'not-the-token-0123456789' }), ['--no-answers']);
    expect(refused.code).toBe(1);
    expect(refused.problems).toEqual([expect.stringMatching(/refuses our token \(401\).*INGEST_TOKEN/)]);
    expect(refused.out).not.toContain('not-the-token');

    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const down = await doctor(await teamEnv({ INGEST_BASE_URL: nowhere }), ['--no-answers']);
    expect(down.code).toBe(1);
    expect(down.problems).toEqual([expect.stringMatching(new RegExp(`ingestion service at ${nowhere}.*: start it, or fix INGEST_BASE_URL`))]);
  });

  it('a service of an older version, without the session-log API, is a problem: the logs would be lost', async () => {
    // Answers /ready and /notes as a service of before the session-log API did; 404 for the rest.
    const old = createServer((request, response) => {
      const known: Record<string, unknown> = { '/ready': { status: 'ready', notes: 3, generation: 'g1' }, '/notes?limit=1': { notes: [], next: null } };
      const body = known[request.url ?? ''];
      response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? { error: `Route ${request.method}:${request.url} not found` }));
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
      const run = await doctor(await teamEnv({ INGEST_BASE_URL: url }), ['--no-answers']);
      expect(run.code).toBe(1);
      expect(run.out).toContain(`ok       ingestion service at ${url} answers and takes our token: 3 note(s)`);
      expect(run.problems).toEqual([expect.stringContaining(`ingestion service at ${url} has no session-log API (GET /sessions answered 404): update it`)]);
    } finally {
      await new Promise((resolve) => old.close(resolve));
    }
  });
});

describe('tokens', () => {
  it('a server listening beyond loopback without a token is a problem; a short token a warning, never shown', async () => {
    const run = await doctor({ ...healthyEnv(), SUPERVISOR_HOST: '0.0.0.0', INGEST_HOST: '0.0.0.0', INGEST_TOKEN: 'short-tok' }, ['--no-answers']);
    expect(run.code).toBe(1);
    expect(run.problems).toEqual([expect.stringContaining('the MCP server listens beyond loopback (SUPERVISOR_HOST=0.0.0.0) without a token: anyone who reaches it can use it; set SUPERVISOR_TOKEN')]);
    expect(run.warnings).toEqual([expect.stringContaining('INGEST_TOKEN is shorter than 16 characters')]);
    expect(run.out).not.toContain('short-tok');
  });
});

describe("a project's .mcp.json", () => {
  const http = (url: string, authorization = 'Bearer ${SUPERVISOR_TOKEN:-none}') => ({ supervisor: { type: 'http', url, headers: { Authorization: authorization } } });
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['that is not JSON', () => writeFile(join(projectDir, '.mcp.json'), '{"mcpServers": {'), /\.mcp\.json is not usable: .*JSON.*; correct it/],
    ['without a supervisor entry', () => writeMcpJson({ other: { command: 'other-server' } }), /has no supervisor server: add a "supervisor" entry/],
    ['with a token in clear', () => writeMcpJson(http(sup.mcpUrl, 'Bearer tok-in-clear-123456')), /"supervisor" has its token written in clear \(headers\.Authorization\): .*write "Bearer \$\{SUPERVISOR_TOKEN\}"/],
    ['with a url that is not the MCP route', () => writeMcpJson(http(sup.mcpUrl.replace(/\/mcp$/, '/'))), /url http:\/\/127\.0\.0\.1:\d+\/ does not end in \/mcp, the server's MCP route: write http:\/\/127\.0\.0\.1:\d+\/mcp/],
    ['naming a server that is not running', async () => writeMcpJson(http(`http://127.0.0.1:${await freePort()}/mcp`)), /nothing answers at http:\/\/127\.0\.0\.1:\d+\/mcp \(ECONNREFUSED.*\): start the server/],
    [
      'with a bridge command not on PATH',
      () => writeMcpJson({ 'supervisor-bridge': { type: 'stdio', command: 'supervisor-not-installed', args: ['bridge'], env: { SUPERVISOR_URL: sup.mcpUrl } } }),
      /runs "supervisor-not-installed", which is not on PATH: install supervisor/,
    ],
    [
      'with a bridge token in clear',
      () => writeMcpJson({ 'supervisor-bridge': { type: 'stdio', command: 'node', args: [CLI, 'bridge'], env: { SUPERVISOR_URL: sup.mcpUrl, SUPERVISOR_TOKEN: 'tok-in-clear-123456' } } }),
      /has SUPERVISOR_TOKEN written in clear \(env\.SUPERVISOR_TOKEN\): .*write "\$\{SUPERVISOR_TOKEN\}"/,
    ],
  ];
  it.each(cases)('%s is a problem that says what to do', async (_name, write, expected) => {
    await write();
    const run = await doctor(healthyEnv(), ['--no-answers']);
    expect(run.code).toBe(1);
    expect(run.problems).toEqual([expect.stringMatching(expected)]);
    expect(run.out).not.toContain('tok-in-clear');
  });

  it('an empty SUPERVISOR_URL, in the entry or inherited, is unset for the bridge: its default is checked', async () => {
    const bridge = (env: Record<string, string>) => writeMcpJson({ 'supervisor-bridge': { type: 'stdio', command: 'node', args: [CLI, 'bridge'], env } });
    const cases: Array<[Record<string, string>, Record<string, string>]> = [
      [{ SUPERVISOR_URL: '' }, {}],
      [{}, { SUPERVISOR_URL: '' }],
    ];
    for (const [entryEnv, doctorEnv] of cases) {
      await bridge(entryEnv);
      const run = await doctor({ ...healthyEnv(), ...doctorEnv }, ['--no-answers']);
      expect(run.out).not.toContain('is not a URL');
      expect(run.out).toMatch(/"supervisor-bridge".* at http:\/\/127\.0\.0\.1:3200\/mcp\b/);
    }
  });

  it('no .mcp.json in the current folder is a hint; in a folder named with --project, a problem', async () => {
    await rm(join(projectDir, '.mcp.json'));
    const here = await doctor(healthyEnv(), ['--no-answers']);
    expect(here.code).toBe(0);
    expect(here.warnings).toEqual([expect.stringContaining(`no .mcp.json in ${projectDir}: write one with \`supervisor init\``)]);
    const named = await doctor(healthyEnv(), ['--no-answers', '--project', projectDir]);
    expect(named.code).toBe(1);
    expect(named.problems).toEqual([expect.stringContaining(`no .mcp.json in ${projectDir}`)]);
  });
});

describe('options', () => {
  it.each([[['--bogus']], [['--answer-seconds', '0']], [['extra']]])('%j is refused as a bad option (exit 2 at the command line)', async (argv) => {
    await expect(doctor(healthyEnv(), argv)).rejects.toThrow(ConfigError);
  });
});
