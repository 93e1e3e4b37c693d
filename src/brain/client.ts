/**
 * How the MCP server reaches the brain: in the same process (the embedded default) or over HTTP
 * at INGEST_BASE_URL (team mode). Both answer the same questions and fail the same way.
 */
import type {
  ErrorBody,
  NoteListing,
  NoteListRequest,
  NoteResponse,
  QueryRequest,
  QueryResponse,
  ReadyResponse,
  SearchHit,
  WriteRequest,
  WriteResult,
} from '../../common/brain-contract.js';
import { BadNoteName, BrainError, type Brain } from '../../ingestion/index.js';
import { ChangeSignal } from '../change-signal.js';

export type { NoteListing, NoteListRequest, NoteSummary } from '../../common/brain-contract.js';

/** A note's file as written, with its content hash. */
export interface NoteMarkdown {
  path: string;
  text: string;
  sha256: string;
}

export interface BrainClient {
  /** Where the brain is, for messages: "in-process brain at ./brain" or the URL. */
  readonly where: string;
  /** A search as POST /query takes it (common/brain-contract.ts); `limit` defaults as there. */
  search(query: QueryRequest, signal?: AbortSignal): Promise<SearchHit[]>;
  /** A write as POST /write takes it; `mode` defaults to create as there. */
  write(note: WriteRequest): Promise<WriteResult>;
  count(signal?: AbortSignal): Promise<number>;
  /** One note as GET /notes/<path> answers it; a missing note is BrainRefused with status 404. */
  read(path: string, signal?: AbortSignal): Promise<NoteResponse>;
  /** One note's file as written (GET /notes/<path> with Accept: text/markdown). */
  readMarkdown(path: string, signal?: AbortSignal): Promise<NoteMarkdown>;
  /** A page of the notes by path (GET /notes): pass `next` as `after` for the following page. */
  list(request: NoteListRequest, signal?: AbortSignal): Promise<NoteListing>;
  /**
   * Calls `listener` (debounced, at most about once a second) after notes were created, changed or
   * removed, through the API or on disk. Returns the unsubscribe.
   */
  onChange(listener: () => void): () => void;
}

/** The brain answered with a refusal the caller can fix (bad name, conflict…): passed on as is. */
export class BrainRefused extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly path?: string,
    /** On a 409 for expected_sha256: the note's current sha256, null when it is gone. */
    readonly sha256?: string | null,
  ) {
    super(message);
  }
}

/** The brain could not be reached or failed; consulting calls go on without knowledge. */
export class BrainUnavailable extends Error {}

/**
 * The brain service answers but refuses our token (401): INGEST_TOKEN is missing or not the
 * service's. Unavailable all the same — every route but /health, /ready and /metrics answers 401 —
 * but said as what it is, since the fix is a setting, not a restart.
 */
export class BrainTokenRefused extends BrainUnavailable {
  constructor(
    where: string,
    /** What is wrong and what to do, without `where`: "refuses our token (401): set INGEST_TOKEN …". */
    readonly reason: string,
  ) {
    super(`${where} ${reason}`);
  }
}

export class LocalBrainClient implements BrainClient {
  readonly where: string;
  // The Brain's own change events, debounced.
  private readonly changes: ChangeSignal;

  constructor(private readonly brain: Brain) {
    // Shown to clients (status, errors): the server's folders are not theirs to know; the log has them.
    this.where = 'in-process brain';
    this.changes = new ChangeSignal((changed) => brain.onChange(changed));
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

  async read(path: string): Promise<NoteResponse> {
    const { text: _text, ...note } = await this.call(() => this.brain.read(path));
    return note;
  }

  async readMarkdown(path: string): Promise<NoteMarkdown> {
    const note = await this.call(() => this.brain.read(path));
    return { path: note.path, text: note.text, sha256: note.sha256 };
  }

  async list(request: NoteListRequest): Promise<NoteListing> {
    return this.call(() => this.brain.list(request));
  }

  onChange(listener: () => void): () => void {
    return this.changes.subscribe(listener);
  }

  private async call<T>(work: () => T | Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof BrainError) {
        if (error.status === 503) throw new BrainUnavailable(error.message);
        const { path, sha256 } = error.details as { path?: string; sha256?: string | null };
        throw new BrainRefused(error.message, error.status, path, sha256);
      }
      if (error instanceof BadNoteName) throw new BrainRefused(`bad filename: ${error.message}`, 400);
      throw error;
    }
  }
}

/** How often a client with change listeners asks the service for its generation (GET /ready). */
export const CHANGE_POLL_MS = 3000;

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  accept?: string;
}

export class HttpBrainClient implements BrainClient {
  private readonly changes: ChangeSignal;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 2000,
    private readonly pollMs = CHANGE_POLL_MS,
  ) {
    this.changes = new ChangeSignal((changed) => this.pollGeneration(changed, (ready) => ready.generation));
  }

  get where(): string {
    return `ingestion service at ${this.baseUrl}`;
  }

  async search(query: QueryRequest, signal?: AbortSignal): Promise<SearchHit[]> {
    const body = await this.json('POST', '/query', { body: query, signal });
    return (body as QueryResponse).results;
  }

  async write(note: WriteRequest): Promise<WriteResult> {
    // Writes may wait on fsync and a busy disk: allow them longer than searches.
    return (await this.json('POST', '/write', { body: note, timeoutMs: this.timeoutMs * 5 })) as WriteResult;
  }

  async count(signal?: AbortSignal): Promise<number> {
    const body = (await this.json('GET', '/ready', { signal })) as ReadyResponse;
    // /ready is public: it answers whatever token we send. The cheapest authenticated request says
    // whether the service takes ours (BrainTokenRefused), so status and the start-up line never call
    // a brain fine that refuses every search and write.
    await this.json('GET', '/notes?limit=1', { signal });
    return body.notes ?? 0;
  }

  async read(path: string, signal?: AbortSignal): Promise<NoteResponse> {
    return (await this.json('GET', notePath(path), { signal })) as NoteResponse;
  }

  async readMarkdown(path: string, signal?: AbortSignal): Promise<NoteMarkdown> {
    const response = await this.send('GET', notePath(path), { signal, accept: 'text/markdown' });
    const text = await response.text();
    const sha256 = /^"([0-9a-f]{64})"$/.exec(response.headers.get('etag') ?? '')?.[1];
    if (!sha256) throw new BrainUnavailable(`${this.where} answered a note without its ETag (sha256)`);
    // The service's name for it: a name without .md is read as name.md.
    return { path: path.endsWith('.md') ? path : `${path}.md`, text, sha256 };
  }

  async list(request: NoteListRequest, signal?: AbortSignal): Promise<NoteListing> {
    const query = new URLSearchParams();
    for (const key of ['prefix', 'after', 'limit'] as const) {
      const value = request[key];
      if (value !== undefined) query.set(key, String(value));
    }
    const search = query.size > 0 ? `?${query.toString()}` : '';
    return (await this.json('GET', `/notes${search}`, { signal })) as NoteListing;
  }

  onChange(listener: () => void): () => void {
    return this.changes.subscribe(listener);
  }

  /**
   * Calls `changed` when a session log started on the service — by any MCP replica — until the
   * returned function is called (src/session/remote.ts debounces it for its listeners).
   */
  watchNewSessionLogs(changed: () => void): () => void {
    return this.pollGeneration(changed, (ready) => ready.session_logs);
  }

  /**
   * Asks GET /ready for one of its generations every `pollMs` while someone listens, and reports a
   * change whenever it differs from the last one seen (a restart changes it too). Polls never
   * overlap, and neither the timer nor a poll in flight keeps the process alive.
   */
  private pollGeneration(changed: () => void, generationOf: (ready: ReadyResponse) => string | undefined): () => void {
    let last: string | undefined;
    let timer: NodeJS.Timeout | null = null;
    const stop = new AbortController();
    const poll = async () => {
      const generation = await this.json('GET', '/ready', { signal: stop.signal }).then(
        (body) => generationOf(body as ReadyResponse),
        () => undefined, // unreachable or still loading: ask again at the next turn
      );
      if (stop.signal.aborted) return;
      if (generation !== undefined) {
        if (last !== undefined && generation !== last) changed();
        last = generation;
      }
      timer = setTimeout(() => void poll(), this.pollMs);
      timer.unref();
    };
    void poll();
    return () => {
      stop.abort();
      if (timer) clearTimeout(timer);
    };
  }

  private async json(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    return (await this.send(method, path, options)).json().catch(() => ({}));
  }

  /**
   * Sends the request; answers the response when it is a success, throws the refusal or failure
   * otherwise. Public for the brain service's other API, the session logs (src/session/remote.ts).
   */
  async send(method: string, path: string, { body, signal, timeoutMs = this.timeoutMs, accept }: RequestOptions): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(this.baseUrl.replace(/\/+$/, '') + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(accept ? { accept } : {}),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : causeOf(error);
      throw new BrainUnavailable(`${this.where} unreachable: ${reason}`);
    }
    if (response.ok) return response;
    // A refusal is an ErrorBody; a 503 from /ready carries a reason instead.
    const answer = (await response.json().catch(() => ({}))) as Partial<ErrorBody> & Partial<ReadyResponse>;
    if (response.status === 401) {
      const fix = "set INGEST_TOKEN to the brain service's token";
      throw new BrainTokenRefused(this.where, this.token ? `refuses our token (401): ${fix}` : `asks for a token (401) and INGEST_TOKEN is not set: ${fix}`);
    }
    if (response.status >= 500) throw new BrainUnavailable(`${this.where} failed (${response.status}): ${answer.error ?? answer.reason ?? 'no reason given'}`);
    throw new BrainRefused(answer.error ?? `refused (${response.status})`, response.status, answer.path, answer.sha256);
  }
}

/**
 * GET /notes/<path>'s URL path, each folder percent-encoded. A . or .. segment is refused here, as the
 * service would: fetch would resolve it (even as %2E%2E) before sending, and read another route.
 */
function notePath(path: string): string {
  const segments = path.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new BrainRefused('bad filename: filename must not contain . or .. segments', 400);
  }
  return `/notes/${segments.map(encodeURIComponent).join('/')}`;
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
