/**
 * How the MCP server reaches the brain: in the same process (the embedded default) or over HTTP
 * at INGEST_BASE_URL (team mode). Both answer the same questions and fail the same way.
 */
import type { ErrorBody, QueryRequest, QueryResponse, ReadyResponse, SearchHit, WriteRequest, WriteResult } from '../../common/brain-contract.js';
import { BadNoteName, BrainError, type Brain } from '../../ingestion/index.js';

export interface BrainClient {
  /** Where the brain is, for messages: "in-process brain at ./brain" or the URL. */
  readonly where: string;
  /** A search as POST /query takes it (common/brain-contract.ts); `limit` defaults as there. */
  search(query: QueryRequest, signal?: AbortSignal): Promise<SearchHit[]>;
  /** A write as POST /write takes it; `mode` defaults to create as there. */
  write(note: WriteRequest): Promise<WriteResult>;
  count(signal?: AbortSignal): Promise<number>;
}

/** The brain answered with a refusal the caller can fix (bad name, conflict…): passed on as is. */
export class BrainRefused extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** The brain could not be reached or failed; consulting calls go on without knowledge. */
export class BrainUnavailable extends Error {}

export class LocalBrainClient implements BrainClient {
  readonly where: string;

  constructor(private readonly brain: Brain) {
    // Shown to clients (status, errors): the server's folders are not theirs to know; the log has them.
    this.where = 'in-process brain';
  }

  async search(query: QueryRequest): Promise<SearchHit[]> {
    return this.call(() => this.brain.search(query));
  }

  async write(note: WriteRequest): Promise<WriteResult> {
    return this.call(() => this.brain.write(note));
  }

  async count(): Promise<number> {
    // As GET /ready answers in team mode: a brain without its knowledge/ folder is not available.
    const problem = this.brain.problem;
    if (problem) throw new BrainUnavailable(problem);
    return this.brain.noteCount();
  }

  private async call<T>(work: () => T | Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof BrainError) {
        if (error.status === 503) throw new BrainUnavailable(error.message);
        throw new BrainRefused(error.message, error.status, error.details.path as string | undefined);
      }
      if (error instanceof BadNoteName) throw new BrainRefused(`bad filename: ${error.message}`, 400);
      throw error;
    }
  }
}

export class HttpBrainClient implements BrainClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 2000,
  ) {}

  get where(): string {
    return `ingestion service at ${this.baseUrl}`;
  }

  async search(query: QueryRequest, signal?: AbortSignal): Promise<SearchHit[]> {
    const body = await this.request('POST', '/query', query, signal);
    return (body as QueryResponse).results;
  }

  async write(note: WriteRequest): Promise<WriteResult> {
    // Writes may wait on fsync and a busy disk: allow them longer than searches.
    return (await this.request('POST', '/write', note, undefined, this.timeoutMs * 5)) as WriteResult;
  }

  async count(signal?: AbortSignal): Promise<number> {
    const body = (await this.request('GET', '/ready', undefined, signal)) as ReadyResponse;
    return body.notes ?? 0;
  }

  private async request(method: string, path: string, body: unknown, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<unknown> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(this.baseUrl.replace(/\/+$/, '') + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : causeOf(error);
      throw new BrainUnavailable(`${this.where} unreachable: ${reason}`);
    }
    // A refusal is an ErrorBody; a 503 from /ready carries a reason instead.
    const answer = (await response.json().catch(() => ({}))) as Partial<ErrorBody> & Partial<ReadyResponse>;
    if (response.ok) return answer;
    if (response.status === 401) throw new BrainUnavailable(`${this.where} refused the token (401): check INGEST_TOKEN`);
    if (response.status >= 500) throw new BrainUnavailable(`${this.where} failed (${response.status}): ${answer.error ?? answer.reason ?? 'no reason given'}`);
    throw new BrainRefused(answer.error ?? `refused (${response.status})`, response.status, answer.path);
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
