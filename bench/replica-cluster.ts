/**
 * Team mode as it is deployed with several replicas: one brain service (`supervisor ingest`), N MCP
 * servers (`supervisor serve` with INGEST_BASE_URL pointing at it) and HAProxy in front of them, all
 * real processes of the built command line (dist/src/cli.js) on loopback ports. For
 * test/replicas.test.ts and bench/replicas-bench.ts, which runs it from dist/ (so this module imports
 * nothing of vitest, and finds the repository by its package.json rather than by its own folder).
 *
 * HAProxy balances round robin, checks `GET /health` every 200 ms (a replica that dies or drains leaves
 * within half a second: its checks are refused, or answered 503), retries on another replica a request
 * whose connection failed or that a draining replica refused with 503, and keeps 2025-era requests on the
 * replica that holds their protocol session (a stick table on the `Mcp-Session-Id` header); 2026-07-28
 * requests carry no such header and go wherever the round robin sends them.
 *
 * Nothing outlives the process that started it: each node child runs with a preload that kills it when
 * its stdin (a pipe from this process) closes, and HAProxy runs under a shell that does the same.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, StreamableHTTPClientTransport, type CallToolRequest, type CallToolResult } from '@modelcontextprotocol/client';

/** The repository: the folder of the package.json named supervisor-mcp, from bench/ or dist/bench/. */
function repoRoot(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'supervisor-mcp') return dir;
  }
  throw new Error(`no supervisor-mcp package.json above ${import.meta.dirname}`);
}

export const REPO = repoRoot();
export const CLI = join(REPO, 'dist', 'src', 'cli.js');
/** The tests' own models and disciplines (test/support/fixture-config.ts names them). */
const FIXTURES = join(REPO, 'test', 'fixtures', 'config');

/**
 * Loaded first into every node child (main thread only: index worker threads inherit execArgv): when the
 * pipe on its stdin closes — this process ended, however it ended — the child kills itself.
 */
const ORPHAN_GUARD = `import { isMainThread } from 'node:worker_threads';
if (isMainThread) {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.kill(process.pid, 'SIGKILL'));
}`;

/** HAProxy in the foreground, killed when this process's pipe on the shell's stdin closes (a stop, or this process's death). */
const HAPROXY_WRAPPER = `exec 3<&0
"$2" -db -f "$1" </dev/null &
pid=$!
echo "haproxy pid $pid"
{ read -r _ <&3; kill -9 "$pid" 2>/dev/null; } &
wait "$pid"`;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  name: string;
  pid: number;
  /** Its base address (`http://127.0.0.1:port`). */
  url: string;
  port: number;
  /** Everything it logged (JSON lines, LOG_LEVEL info). */
  logs(): string;
  /** Its log lines, parsed. */
  logLines(): Array<Record<string, unknown>>;
  /** Resolves when a log line's `msg` matches `pattern` (already logged or later); rejects if the process exits first. */
  logged(pattern: RegExp): Promise<Record<string, unknown>>;
  signal(signal: NodeJS.Signals): void;
  exited: Promise<Exit>;
  alive(): boolean;
}

export interface Replica extends NodeProcess {
  /** The MCP endpoint itself, bypassing HAProxy. */
  mcpUrl: string;
}

export interface Frontend {
  /** The MCP endpoint through HAProxy. */
  url: string;
  /** The replicas (indices into `replicas`) its backend balances over. */
  replicas: number[];
}

export interface Cluster {
  /** The first frontend's MCP endpoint: over every replica unless `frontends` said otherwise. */
  url: string;
  frontends: Frontend[];
  token: string;
  brain: NodeProcess;
  replicas: Replica[];
  /** The brain service's session logs: <id>.jsonl each, the ground truth of what was logged. */
  sessionsDir: string;
  brainDir: string;
  /** Each replica's own folder (SUPERVISOR_BRAIN_DIR): in team mode nothing should be written there. */
  replicaDirs: string[];
  /** HAProxy itself (`pid`: its process, under the shell that kills it when this process goes), its config, its output. */
  haproxy: { pid: number; config: string; output(): string; statsUrl: string };
  /** HAProxy's view of each replica: UP, DOWN, MAINT… by replica name (`r1`…), for the frontend `frontend` (0). */
  serverStates(frontend?: number): Promise<Record<string, string>>;
  /** Resolves when HAProxy sees each replica named in `states` in that state (`UP`, `DOWN`). */
  waitForStates(states: Record<string, string>, frontend?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  replicas: number;
  /** The OpenAI-compatible model server each replica uses (LITELLM_BASE_URL), by replica index. */
  modelUrl(index: number): string;
  /** HAProxy frontends, each over some replicas: default one over all of them. */
  frontends?: number[][];
  /** Added to each replica's environment (after the defaults). */
  replicaEnv?: Record<string, string>;
  /** Added to the brain service's environment. */
  brainEnv?: Record<string, string>;
  /** HAProxy logs each request (`option httplog`: which replica, retries, status) to its output. */
  haproxyLog?: boolean;
  /** How long a start may take before it counts as failed. */
  startMs?: number;
}

/** Free loopback ports, `count` of them, distinct (each was free a moment ago). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * The haproxy command (Debian: apt-get install haproxy; .ci/run installs it): on the PATH, or in the sbin
 * folders a user's PATH may leave out. Null when it is not installed.
 */
export function haproxyCommand(): string | null {
  const folders = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  return folders.map((folder) => join(folder, 'haproxy')).find((file) => existsSync(file)) ?? null;
}

/** Every child this module started and has not seen exit: killed by stopAll (and by their guards if this process dies). */
const children = new Set<ChildProcess>();

/** `supervisor <command>` of the build, guarded, on port 0; resolves once it logs `listening` with its url. */
async function startNode(name: string, command: 'serve' | 'ingest', env: Record<string, string>, listening: string, cwd: string, startMs: number): Promise<NodeProcess> {
  const child = spawn(process.execPath, [`--import=data:text/javascript,${encodeURIComponent(ORPHAN_GUARD)}`, CLI, command], {
    cwd,
    env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: false,
  });
  children.add(child);
  let output = '';
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: Record<string, unknown>) => void }> = [];
  let pending = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
    pending += String(chunk);
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const text of complete) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (typeof line.msg === 'string' && waiter.pattern.test(line.msg)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const logged = (pattern: RegExp) => {
    const found = lines.find((line) => typeof line.msg === 'string' && pattern.test(line.msg));
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ pattern, resolve });
      void exited.then((exit) => reject(new Error(`${name} exited (${exit.code ?? exit.signal}) before logging ${pattern}:\n${output.slice(-3000)}`)));
    });
  };
  const timer = setTimeout(() => child.kill('SIGKILL'), startMs);
  const ready = await logged(new RegExp(`^${listening}$`)).finally(() => clearTimeout(timer));
  const url = new URL(String(ready.url));
  return {
    name,
    pid: child.pid as number,
    url: url.origin,
    port: Number(url.port),
    logs: () => output,
    logLines: () => lines,
    logged,
    signal: (signal) => void child.kill(signal),
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/** The HAProxy configuration: one frontend per replica set, each with its own backend (see the module comment). */
export function haproxyConfig(frontends: Array<{ port: number; servers: Array<{ name: string; port: number }> }>, statsPort: number, log = false): string {
  const lines = [
    'global',
    '  maxconn 4000',
    ...(log ? ['  log stdout format raw local0'] : []),
    '',
    'defaults',
    '  mode http',
    ...(log ? ['  log global', '  option httplog'] : []),
    '  timeout connect 1s',
    // Long enough for a consultation's event stream (the server sends a comment every 15 s) and a 2025-era GET stream.
    '  timeout client 10m',
    '  timeout server 10m',
    '  timeout tunnel 1h',
    '  timeout http-request 10s',
    '  timeout queue 10s',
    // A busy replica on a loaded machine may answer /health late: that is no reason to take it out. A dead
    // one refuses the check's connection and a draining one answers 503, both at once: they leave within
    // two checks (fall 2, inter 200ms) whatever this timeout.
    '  timeout check 10s',
    // A connection refused (a replica killed before its checks failed) or a 503 (a draining replica: it
    // answered nothing) is retried, each time on another replica; a response cut half-way is not.
    '  retries 5',
    '  retry-on conn-failure 503',
    '  option redispatch 1',
    '',
    'frontend stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    '',
  ];
  frontends.forEach((frontend, i) => {
    lines.push(
      `frontend mcp${i}`,
      `  bind 127.0.0.1:${frontend.port}`,
      `  default_backend replicas${i}`,
      '',
      `backend replicas${i}`,
      '  balance roundrobin',
      '  option httpchk GET /health',
      '  http-check expect status 200',
      // Affinity for 2025-era requests only: their protocol session lives in one replica's memory.
      '  stick-table type string len 128 size 100k expire 30m',
      '  stick store-response res.hdr(mcp-session-id)',
      '  stick match req.hdr(mcp-session-id)',
      '  default-server inter 200ms fastinter 200ms downinter 200ms fall 2 rise 1',
      ...frontend.servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port} check`),
      '',
    );
  });
  return lines.join('\n');
}

/** Starts the brain service, the replicas (in parallel) and HAProxy; resolves when HAProxy sees every replica UP. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const startMs = options.startMs ?? 30_000;
  const root = await mkdtemp(join(tmpdir(), 'supervisor-replicas-'));
  const brainDir = join(root, 'brain');
  const sessionsDir = join(brainDir, 'sessions');
  await mkdir(brainDir);
  const token = `replica-test-token-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const started: NodeProcess[] = [];
  let haproxyChild: ChildProcess | undefined;
  try {
    const brain = await startNode(
      'brain',
      'ingest',
      { INGEST_HOST: '127.0.0.1', INGEST_PORT: '0', INGEST_BRAIN_DIR: brainDir, INGEST_SESSIONS_DIR: sessionsDir, INGEST_TOKEN: token, ...options.brainEnv },
      'ingestion service listening',
      root,
      startMs,
    );
    started.push(brain);
    const replicaDirs = Array.from({ length: options.replicas }, (_, i) => join(root, `replica-${i + 1}`));
    await Promise.all(replicaDirs.map((dir) => mkdir(dir)));
    const replicas = await Promise.all(
      replicaDirs.map(async (dir, i) => {
        const replica = await startNode(
          `r${i + 1}`,
          'serve',
          {
            SUPERVISOR_HOST: '127.0.0.1',
            SUPERVISOR_PORT: '0',
            SUPERVISOR_TOKEN: token,
            SUPERVISOR_BRAIN_DIR: dir,
            SUPERVISOR_CONFIG_DIR: join(FIXTURES, 'supervisor'),
            SUPERVISOR_MODELS_FILE: join(FIXTURES, 'models.yaml'),
            INGEST_BASE_URL: brain.url,
            INGEST_TOKEN: token,
            LITELLM_BASE_URL: options.modelUrl(i),
            ...options.replicaEnv,
          },
          'MCP server listening',
          dir,
          startMs,
        );
        started.push(replica);
        return { ...replica, mcpUrl: `${replica.url}/mcp` };
      }),
    );

    const sets = options.frontends ?? [replicas.map((_, i) => i)];
    const [statsPort, ...frontendPorts] = await freePorts(sets.length + 1);
    const config = join(root, 'haproxy.cfg');
    await writeFile(
      config,
      haproxyConfig(
        sets.map((set, i) => ({ port: frontendPorts[i] as number, servers: set.map((r) => ({ name: (replicas[r] as Replica).name, port: (replicas[r] as Replica).port })) })),
        statsPort as number,
        options.haproxyLog,
      ),
    );
    const command = haproxyCommand();
    if (!command) throw new Error('haproxy is not installed: apt-get install -y haproxy (.ci/run installs it)');
    const haproxy = spawn('sh', ['-c', HAPROXY_WRAPPER, 'haproxy-wrapper', config, command], { stdio: ['pipe', 'pipe', 'pipe'], detached: false });
    haproxyChild = haproxy;
    children.add(haproxy);
    let haproxyOutput = '';
    haproxy.stdout.on('data', (chunk) => (haproxyOutput += String(chunk)));
    haproxy.stderr.on('data', (chunk) => (haproxyOutput += String(chunk)));
    const haproxyExited = new Promise<void>((resolve) =>
      haproxy.on('exit', () => {
        children.delete(haproxy);
        resolve();
      }),
    );
    let haproxyGone = false;
    void haproxyExited.then(() => (haproxyGone = true));
    const statsUrl = `http://127.0.0.1:${statsPort}/stats`;

    const serverStates = async (frontend = 0): Promise<Record<string, string>> => {
      const csv = await (await fetch(`${statsUrl};csv`)).text();
      const [header = '', ...rows] = csv.split('\n');
      const columns = header.replace(/^# /, '').split(',');
      const at = (name: string) => columns.indexOf(name);
      const states: Record<string, string> = {};
      for (const row of rows) {
        const cells = row.split(',');
        if (cells[at('pxname')] === `replicas${frontend}` && !['BACKEND', 'FRONTEND'].includes(cells[at('svname')] ?? '')) states[cells[at('svname')] ?? ''] = (cells[at('status')] ?? '').split(' ')[0] ?? '';
      }
      return states;
    };
    const waitForStates = async (states: Record<string, string>, frontend = 0): Promise<void> => {
      const deadline = performance.now() + startMs;
      let seen: Record<string, string> = {};
      for (;;) {
        if (haproxyGone) throw new Error(`haproxy exited:\n${haproxyOutput}`);
        seen = await serverStates(frontend).catch(() => ({}));
        if (Object.entries(states).every(([name, state]) => seen[name] === state)) return;
        if (performance.now() > deadline) throw new Error(`HAProxy did not see ${JSON.stringify(states)} within ${startMs} ms: ${JSON.stringify(seen)}\n${haproxyOutput}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    for (const [i, set] of sets.entries()) await waitForStates(Object.fromEntries(set.map((r) => [(replicas[r] as Replica).name, 'UP'])), i);

    const frontends = sets.map((set, i) => ({ url: `http://127.0.0.1:${frontendPorts[i]}/mcp`, replicas: set }));
    return {
      url: (frontends[0] as Frontend).url,
      frontends,
      token,
      brain,
      replicas,
      sessionsDir,
      brainDir,
      replicaDirs,
      haproxy: { pid: Number(/^haproxy pid (\d+)$/m.exec(haproxyOutput)?.[1]), config, output: () => haproxyOutput, statsUrl },
      serverStates,
      waitForStates,
      async stop() {
        haproxy.stdin.end();
        await stopAll([brain, ...replicas]);
        await haproxyExited;
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    haproxyChild?.stdin?.end();
    await stopAll(started);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** SIGTERM to those still running, SIGKILL to any still running 10 s later; resolves when all have exited. */
async function stopAll(processes: NodeProcess[]): Promise<void> {
  await Promise.all(
    processes.map(async (p) => {
      if (!p.alive()) return;
      p.signal('SIGTERM');
      const timer = setTimeout(() => p.signal('SIGKILL'), 10_000);
      await p.exited;
      clearTimeout(timer);
    }),
  );
}

/** Kills at once every child this module started that is still running: for a test's last resort (afterAll). */
export function killClusterProcesses(): void {
  for (const child of children) {
    if (child.stdin && !child.stdin.destroyed) child.stdin.end();
    child.kill('SIGKILL');
  }
}

export type Era = 'legacy' | 'modern';

/**
 * The SDK's client does not fail a call whose response stream breaks (a replica killed mid-call): it
 * reports the error and waits for an answer that cannot come, until the call's timeout. So the clients
 * here watch each call's stream, as the bridge does (src/bridge/remote.ts): its fetch runs in the
 * call's async context, and a stream that breaks, or ends without the answer, aborts the call.
 */
const currentCall = new AsyncLocalStorage<AbortController>();
/** After a stream ends, how long its answer may still be on its way through the SDK's parser. */
const END_GRACE_MS = 500;

const watchingFetch: typeof fetch = async (input, init) => {
  const watch = currentCall.getStore();
  const response = await fetch(input, init);
  if (!watch || !response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) return response;
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          setTimeout(() => watch.abort(new Error('the response stream ended without the answer')), END_GRACE_MS).unref();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        watch.abort(new Error(`the response stream broke: ${(error as Error).message}`));
      }
    },
    cancel: (why) => reader.cancel(why),
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
};

/**
 * A real MCP client (SDK v2) of either era: `legacy` runs the 2025 handshake (initialize, then
 * Mcp-Session-Id on every request); `modern` is pinned to 2026-07-28 (no handshake, nothing kept). A
 * broken stream is not resumed: call through `callTool` below, and the call fails.
 */
export async function connectClient(url: string, era: Era, token: string, name = 'replica-client'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {});
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    fetch: watchingFetch,
    reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 100, maxReconnectionDelay: 100, reconnectionDelayGrowFactor: 1 },
  });
  await client.connect(transport);
  return client;
}

/** A tool call that fails when its response stream breaks or ends without the answer, and at `timeoutMs` at the latest. */
export function callTool(client: Client, params: CallToolRequest['params'], timeoutMs: number): Promise<CallToolResult> {
  const watch = new AbortController();
  return currentCall.run(watch, () => client.callTool(params, { timeout: timeoutMs, signal: watch.signal }) as Promise<CallToolResult>);
}
