/** A real ingestion service on a loopback port over a brain in a fresh temporary folder. */
import { request as httpRequest } from 'node:http';
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
