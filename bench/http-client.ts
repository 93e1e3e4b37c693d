/**
 * A small JSON client over node:http with kept-alive connections: what a service's callers do, and
 * cheaper than fetch, so the bench process (on the same 2 cores as the server) takes little of the CPU
 * it measures.
 */
import { Agent, request } from 'node:http';

export interface JsonAnswer {
  status: number;
  body: unknown;
}

export class JsonHttp {
  private readonly agent = new Agent({ keepAlive: true });
  private readonly base: URL;

  constructor(base: string) {
    this.base = new URL(base);
  }

  get(path: string): Promise<JsonAnswer> {
    return this.send('GET', path);
  }

  post(path: string, body: unknown): Promise<JsonAnswer> {
    return this.send('POST', path, JSON.stringify(body));
  }

  /** The request's answer and how long it took, from sending to the last byte of the answer. */
  async timed(method: 'GET' | 'POST', path: string, body?: unknown): Promise<JsonAnswer & { ms: number }> {
    const started = performance.now();
    const answer = await this.send(method, path, body === undefined ? undefined : JSON.stringify(body));
    return { ...answer, ms: performance.now() - started };
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, payload?: string): Promise<JsonAnswer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
      }
      const req = request({ host: this.base.hostname, port: this.base.port, path, method, agent: this.agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
          } catch (error) {
            reject(error as Error);
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
}
