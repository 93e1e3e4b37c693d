/**
 * Calls a chain of models through LiteLLM (OpenAI-compatible) until one answers: the next model is
 * tried when one is unreachable, too slow, rate-limited, failing (5xx), unknown, or answers nothing.
 * A model that says the prompt is larger than its context window is asked once more with the prompt
 * fitted to a smaller window (the caller fits it) before the chain moves on. Every try is recorded,
 * so the caller can say exactly what happened.
 */
import { cleanAnswer, refusalOf } from './clean.js';
import { ApiConnectionError, ApiStatusError, OpenAiHttp } from './openai-http.js';

import type { Attempt, Outcome, Usage } from '../../common/consultation-contract.js';

export type { Attempt, Outcome, Usage } from '../../common/consultation-contract.js';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  /** Aborts the upstream request (the MCP client cancelled). */
  signal?: AbortSignal | undefined;
  /** Called as the answer streams in, with the characters received so far. */
  onProgress?: ((characters: number) => void) | undefined;
  /**
   * Called when a model is asked (waitedMs 0), then every `waitingNoticeMs` until its first token:
   * a model loading (minutes for a cold Ollama start) is otherwise silence.
   */
  onWaiting?: ((model: string, waitedMs: number, timeoutMs: number) => void) | undefined;
  /**
   * The model said the prompt exceeds its context window (`reportedLimit`: the window its message
   * names, when it names one): the messages fitted to a smaller window, or null to move on.
   */
  refit?: ((model: string, reportedLimit: number | undefined) => { messages: ChatMessage[]; window: number } | null) | undefined;
  maxTokens?: number | undefined;
  /** Called when a model failed and the next one of the chain is tried. */
  onFallback?: ((failed: Attempt, next: string) => void) | undefined;
}

export interface Completion {
  text: string;
  model: string;
  attempts: Attempt[];
  usage: Usage | null;
  durationMs: number;
}

/** Every model of the chain failed (or the call was cancelled); `attempts` says how. */
export class ChainFailed extends Error {
  constructor(
    message: string,
    readonly attempts: Attempt[],
    readonly cancelled: boolean,
  ) {
    super(message);
  }
}

/**
 * An abort reason that tells the caller why the call was stopped (the server shutting down), as
 * opposed to the client cancelling it; its message becomes the failure's message.
 */
export class CallStopped extends Error {}

export interface ChainClientOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  /** Per model try, the whole answer included. */
  timeoutMs: number;
  /** How often a model that has not started answering is reported as still awaited (default 5 s). */
  waitingNoticeMs?: number | undefined;
}

// Outcomes after which another model will not do better: the same key and request go to all of them.
const STOP_CHAIN: ReadonlySet<Outcome> = new Set(['unauthorized', 'cancelled']);
const PROGRESS_EVERY_MS = 250;
const WAITING_NOTICE_MS = 5000;

export class ChainClient {
  // No retries of its own: LiteLLM retries on its own and this chain falls through to the next
  // model; a retry here would only multiply waits and hide the real failure behind a timeout.
  private readonly client: OpenAiHttp;

  constructor(private readonly options: ChainClientOptions) {
    // LiteLLM without master_key, and Ollama, accept any key; a Bearer header is sent either way.
    this.client = new OpenAiHttp(apiBase(options.baseUrl), options.apiKey || 'no-key');
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** The model names LiteLLM serves (GET /v1/models). */
  servedModels(timeoutMs: number): Promise<string[]> {
    return this.client.listModels(AbortSignal.timeout(timeoutMs));
  }

  async complete(chain: readonly string[], request: CompletionRequest): Promise<Completion> {
    const started = performance.now();
    const attempts: Attempt[] = [];
    for (const [i, model] of chain.entries()) {
      let attempt = await this.tryModel(model, request.messages, request);
      attempts.push(attempt.record);
      // The ladder: the same model once more with a smaller prompt, before a model that may be worse at the task.
      const refitted = attempt.record.outcome === 'context_exceeded' ? request.refit?.(model, attempt.reportedLimit) : null;
      if (refitted) {
        attempt = await this.tryModel(model, refitted.messages, request);
        attempt.record.refit_window = refitted.window;
        attempts.push(attempt.record);
      }
      if (attempt.record.outcome === 'ok') {
        return { text: attempt.text, model, attempts, usage: attempt.usage, durationMs: Math.round(performance.now() - started) };
      }
      if (STOP_CHAIN.has(attempt.record.outcome)) break;
      const next = chain[i + 1];
      if (next) request.onFallback?.(attempt.record, next);
    }
    const cancelled = attempts.at(-1)?.outcome === 'cancelled';
    const stopped = request.signal?.reason instanceof CallStopped ? request.signal.reason.message : 'the call was cancelled';
    throw new ChainFailed(cancelled ? stopped : failureMessage(this.options.baseUrl, attempts), attempts, cancelled);
  }

  private async tryModel(model: string, messages: ChatMessage[], request: CompletionRequest): Promise<ModelTry> {
    const started = performance.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
    const elapsed = () => Math.round(performance.now() - started);
    const waiting = this.waitingNotices(model, request, elapsed);
    try {
      const stream = this.client.streamChat(
        {
          model,
          messages,
          stream_options: { include_usage: true },
          ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
        },
        signal,
      );
      let text = '';
      let usage: Usage | null = null;
      let lastProgress = 0;
      for await (const chunk of stream) {
        if (chunk.content) {
          waiting.stop();
          text += chunk.content;
        }
        if (chunk.usage) usage = { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens };
        if (request.onProgress && performance.now() - lastProgress > PROGRESS_EVERY_MS) {
          lastProgress = performance.now();
          request.onProgress(text.length);
        }
      }
      // A cancel or a timeout mid-answer is no answer, however the stream ended.
      if (signal.aborted) throw signal.reason;
      const cleaned = cleanAnswer(text);
      if (!cleaned) return { record: { model, outcome: 'empty', ms: elapsed(), detail: refusalOf(text) }, text: '', usage };
      return { record: { model, outcome: 'ok', ms: elapsed() }, text: cleaned, usage };
    } catch (error) {
      const outcome = classify(error, request.signal, deadline.signal);
      const status = error instanceof ApiStatusError ? error.status : undefined;
      const record: Attempt = { model, outcome, ms: elapsed(), detail: describe(error, outcome, this.options.timeoutMs) };
      if (outcome === 'cancelled' && request.signal?.reason instanceof CallStopped) record.detail = request.signal.reason.message;
      if (status !== undefined) record.status = status;
      return { record, text: '', usage: null, reportedLimit: outcome === 'context_exceeded' ? reportedWindow(errorText(error)) : undefined };
    } finally {
      waiting.stop();
      clearTimeout(timer);
    }
  }

  /** "Asking X", then "still waiting for X" every few seconds until `stop` (the first token, or the try's end). */
  private waitingNotices(model: string, request: CompletionRequest, elapsed: () => number): { stop(): void } {
    const notify = request.onWaiting;
    if (!notify) return { stop: () => undefined };
    notify(model, 0, this.options.timeoutMs);
    const timer = setInterval(() => notify(model, elapsed(), this.options.timeoutMs), this.options.waitingNoticeMs ?? WAITING_NOTICE_MS);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
}

interface ModelTry {
  record: Attempt;
  text: string;
  usage: Usage | null;
  /** context_exceeded: the window the model's error names, when it names one. */
  reportedLimit?: number | undefined;
}

/** LiteLLM answers under /v1 (and at the root); requests go to the /v1 base. */
function apiBase(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

function classify(error: unknown, callerSignal: AbortSignal | undefined, deadline: AbortSignal): Outcome {
  if (callerSignal?.aborted) return 'cancelled';
  if (deadline.aborted) return 'timeout';
  if (error instanceof ApiConnectionError) {
    return /ECONNREFUSED/.test(causeText(error)) ? 'connection_refused' : 'connection_error';
  }
  if (error instanceof ApiStatusError) {
    const status = error.status ?? 0;
    if (status === 401 || status === 403) return 'unauthorized';
    if (status === 404) return 'not_found';
    if (status === 408) return 'timeout';
    if (status === 429) return 'rate_limited';
    if (status >= 500) return 'server_error';
    if (status === 400 && CONTEXT_EXCEEDED.test(errorText(error))) return 'context_exceeded';
    return 'client_error';
  }
  return 'connection_error';
}

/**
 * How LiteLLM says a prompt is too large: its ContextWindowExceededError (the proxy answers 400 with
 * `{"error": {"message": "litellm.ContextWindowExceededError: …", "code": "400"}}`), or the backend's
 * own words passed through in a BadRequestError (OpenAI, vLLM, llama.cpp, sglang, Anthropic), or
 * Ollama's 400 for a model it runs without context shift ("the prompt is longer than the context
 * length currently available to the model"; with context shift, its default, it cuts silently).
 */
const CONTEXT_EXCEEDED =
  /ContextWindowExceeded|context_length_exceeded|exceed_context_size|maximum context length|context (?:window|length|limit) (?:is )?exceeded|exceeds? (?:the )?(?:model's |available )?(?:maximum )?context|longer than the (?:model's )?context length|prompt is too long/i;

/** The window a context error names: "maximum context length is 4096 tokens", "context length (4096 tokens)", "n_ctx": 4096. */
const REPORTED_WINDOW =
  /(?:maximum context length is|context (?:limit|length|window|size) of|model's context length \(|available context size \(|"n_ctx":)\s*(\d{3,7})/i;

export function reportedWindow(message: string): number | undefined {
  const match = REPORTED_WINDOW.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** The error's whole message: LiteLLM's body message (the error's own message prefixes the status). */
function errorText(error: unknown): string {
  if (error instanceof ApiStatusError) {
    const body = error.error as { message?: unknown; type?: unknown } | undefined;
    return [body?.message, body?.type, error.message].filter((part) => typeof part === 'string').join(' ');
  }
  return String((error as Error)?.message ?? error);
}

function causeText(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current && parts.length < 5; current = (current as { cause?: unknown }).cause) {
    parts.push(String((current as { code?: string }).code ?? ''), String((current as Error).message ?? ''));
  }
  return parts.join(' ');
}

function describe(error: unknown, outcome: Outcome, timeoutMs: number): string {
  switch (outcome) {
    case 'timeout':
      return `no complete answer within ${seconds(timeoutMs)}`;
    case 'connection_refused':
      return 'connection refused';
    case 'connection_error': {
      // "Connection error." alone does not say whether the name, TLS or the network failed.
      const code = /\b(E[A-Z_]{3,})\b/.exec(causeText(error))?.[1];
      return code ? `connection error (${code})` : String((error as Error)?.message ?? error).slice(0, 200);
    }
    case 'cancelled':
      return 'cancelled by the client';
    default: {
      const said = error instanceof ApiStatusError ? error.error?.message : undefined;
      const message = typeof said === 'string' ? said : String((error as Error)?.message ?? error);
      return message.replace(/\s+/g, ' ').slice(0, 200);
    }
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

const WHAT_TO_CHECK: Partial<Record<Outcome, string>> = {
  connection_refused: 'start LiteLLM or set LITELLM_BASE_URL',
  connection_error: 'check that LiteLLM is reachable at LITELLM_BASE_URL',
  timeout: 'the model may be overloaded or too large for the GPU; raise SUPERVISOR_MODEL_TIMEOUT_SECONDS or choose a smaller model',
  rate_limited: 'LiteLLM is rate-limiting; wait or raise its limits',
  server_error: 'look at the LiteLLM log for the failing model',
  // Not blamed on models.yaml: the name may be the caller's own `model` argument, used as given.
  not_found:
    'LiteLLM serves no model by that name: check it (a `model` argument is used as given, a chain is read from models.yaml) or add the model to the LiteLLM config (model_name); pointed straight at Ollama, `ollama pull` the model and name it as `ollama list` shows it',
  unauthorized: 'check LITELLM_API_KEY',
  context_exceeded:
    "the prompt is larger than the model's context window as served: set the model's context_window in models.yaml to what LiteLLM serves (for Ollama, its num_ctx), or choose a model with a larger window",
  empty: 'the model returned no usable text (nothing, or only JSON); try another model',
  client_error: 'the request was refused; the LiteLLM log says why',
};

/** "model A: connection refused; model B: 429 …. What to do: …" — one message a person can act on. */
export function failureMessage(baseUrl: string, attempts: Attempt[]): string {
  if (attempts.length === 0) return 'no model is configured for this call; set default_chain in models.yaml';
  const tried = attempts
    .map((a) => `${a.model}: ${a.status ? `${a.status} ` : ''}${a.detail ?? a.outcome} (${a.ms} ms)`)
    .join('; ');
  const advice = [...new Set(attempts.map((a) => WHAT_TO_CHECK[a.outcome]).filter(Boolean))].join('; ');
  return `every model failed at LiteLLM ${baseUrl} — ${tried}. What to do: ${advice}.`;
}
