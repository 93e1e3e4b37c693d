/** A real ingestion service on a loopback port over a brain in a fresh temporary folder. */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach } from 'vitest';
import { startIngestion, type RunningIngestion } from '../../ingestion/service.js';
import { createLogger } from '../../src/log.js';

export interface TestService extends RunningIngestion {
  brainDir: string;
  knowledge: string;
  /** Everything the service logged, one JSON object per line. */
  logs(): string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string }>;
  stop(): Promise<void>;
}

export async function startService(options: { token?: string; brainDir?: string } = {}): Promise<TestService> {
  const brainDir = options.brainDir ?? (await mkdtemp(join(tmpdir(), 'supervisor-brain-')));
  let logged = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += String(chunk);
      done();
    },
  });
  const service = await startIngestion(
    { host: '127.0.0.1', port: 0, brainDir, token: options.token, logLevel: 'info' },
    createLogger('info', sink),
  );
  await service.loaded;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(service.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(service.url + path, { headers });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON (text/markdown)
    }
    return { status: response.status, body, text };
  };
  return {
    ...service,
    brainDir,
    knowledge: join(brainDir, 'knowledge'),
    logs: () => logged,
    post,
    get,
    async stop() {
      await service.close();
      if (!options.brainDir) await rm(brainDir, { recursive: true, force: true });
    },
  };
}

/**
 * A proxy in front of a service: each request is shown to `decide` (with its body) first, which lets
 * it through or cuts its connection (the brain unreachable for that route only). For a test that
 * records what the MCP server asked, or needs the notes' routes down while the session logs work.
 */
export async function startBrainProxy(
  target: string,
  decide: (path: string, body: string) => 'forward' | 'drop' = () => 'forward',
  /** Told of each request forwarded, once its answer has been sent on. */
  answered: (path: string) => void = () => undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => {
      if (decide(req.url ?? '/', body) === 'drop') return void req.socket.destroy();
      void fetch(target + (req.url ?? '/'), {
        method: req.method ?? 'GET',
        headers: Object.fromEntries(['content-type', 'accept', 'authorization'].flatMap((name) => (req.headers[name] ? [[name, String(req.headers[name])]] : []))),
        body: req.method === 'GET' ? undefined : body,
      }).then(async (answer) => {
        res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([name]) => name !== 'content-length' && name !== 'transfer-encoding')));
        res.end(Buffer.from(await answer.arrayBuffer()), () => answered(req.url ?? '/'));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A fresh service for each test of a file (or a describe block); `ready` receives it. */
export function useTestService(ready: (service: TestService) => void): void {
  let service: TestService | undefined;
  beforeEach(async () => {
    service = await startService();
    ready(service);
  });
  afterEach(async () => {
    await service?.stop();
  });
}

/**
 * Every file under `dir` with its content: compare before and after to prove nothing changed.
 * The derived index (.index/) is left out: SQLite touches its files on reads too.
 */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (path.includes('/.index')) continue;
    if (entry.isFile()) out[path.slice(dir.length)] = await readFile(path, 'utf8');
    else if (entry.isSymbolicLink()) out[path.slice(dir.length)] = '-> link';
    else out[`${path.slice(dir.length)}/`] = 'dir';
  }
  return out;
}

/** Polls `check` until it returns true or `ms` pass; returns how long it took, or throws. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > ms) throw new Error(`not true within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A GET with the path exactly as given, unlike fetch, which resolves `..` and `%2e%2e` first. */
export function rawGet(base: string, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(base + '/', { path }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end();
  });
}
