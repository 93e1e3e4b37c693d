/**
 * What a tool call adds to /metrics: calls by tool and model, every model attempt, fallbacks, errors
 * by kind, wall time. Only configured models are labels: a caller's made-up model name would be a new
 * series for good. And the call's one log line (tool, session, model, outcome, ms, attempts), written
 * as the call ends: answered, cancelled and refused calls at info, failures at warn.
 */
import type { Logger, ModelsConfig } from '../deps.js';
import type { Attempt } from '../llm/chain.js';
import { modelLabel, type McpMetrics } from '../metrics/mcp-metrics.js';

/** Why a call failed, as supervisor_errors_total counts it. */
export type ErrorKind = 'models_failed' | 'cancelled' | 'brain_unavailable' | 'refused' | 'busy' | 'internal';

/**
 * Each method that ends a call is given the MCP result it ends with, so the call's log line (written
 * by `logged`, around the whole call) can tell what happened: the result carries it, unsent.
 */
export interface CallMetrics {
  /** Starts the call's timer; the returned function stops it. */
  started(tool: string): () => void;
  answered(tool: string, model: string | undefined, attempts: Attempt[] | undefined, result?: object): void;
  failed(tool: string, kind: ErrorKind, attempts?: Attempt[], result?: object): void;
  /** Refused before it started (too many calls in flight): no tool, no timer. */
  refused(kind: ErrorKind, result?: object): void;
  /** Runs one tools/call and writes its log line when it ends, with what answered/failed/refused said of its result. */
  logged<T>(tool: string, session: string, run: () => Promise<T>): Promise<T>;
}

/** What the call's log line says; given by answered/failed/refused as the call ends. */
interface CallRecord {
  outcome: 'ok' | ErrorKind;
  model?: string | undefined;
  attempts: Attempt[];
}

/**
 * The record of each result, by the result itself: nothing is added to what the client receives, and
 * the record goes with its result. (Not AsyncLocalStorage: on Node 20 it slows every promise.)
 */
const records = new WeakMap<object, CallRecord>();

/** Failures a person running the server should look at; the rest are the caller's business. */
const WARN: ReadonlySet<CallRecord['outcome']> = new Set(['models_failed', 'brain_unavailable', 'busy', 'internal']);

export function callMetrics(metrics: McpMetrics | undefined, models: ModelsConfig, logger?: Logger): CallMetrics {
  const label = (model: string) => modelLabel(models.allModels(), model);
  const countAttempts = (attempts: Attempt[] = []) => {
    attempts.forEach((attempt, i) => {
      metrics?.modelCalls.inc({ model: label(attempt.model), outcome: attempt.outcome });
      if (i < attempts.length - 1) metrics?.fallbacks.inc({ model: label(attempt.model), reason: attempt.outcome });
    });
  };
  const record = (result: object | undefined, outcome: CallRecord['outcome'], model: string | undefined, attempts: Attempt[] | undefined) => {
    if (result) records.set(result, { outcome, model, attempts: attempts ?? [] });
  };
  return {
    started: (tool) => metrics?.duration.startTimer({ tool }) ?? (() => undefined),
    answered(tool, model, attempts, result) {
      countAttempts(attempts);
      metrics?.calls.inc({ tool, model: label(model ?? ''), outcome: 'ok' });
      record(result, 'ok', model, attempts);
    },
    failed(tool, kind, attempts, result) {
      countAttempts(attempts);
      metrics?.errors.inc({ kind });
      metrics?.calls.inc({ tool, model: '', outcome: 'error' });
      record(result, kind, undefined, attempts);
    },
    refused(kind, result) {
      metrics?.errors.inc({ kind });
      record(result, kind, undefined, []);
    },
    async logged(tool, session, run) {
      const started = performance.now();
      let result: unknown;
      try {
        result = await run();
        return result as Awaited<ReturnType<typeof run>>;
      } finally {
        const call = (typeof result === 'object' && result !== null && records.get(result)) || unrecorded(result);
        if (logger) logCall(logger, { tool, session, ms: Math.round(performance.now() - started), ...call });
      }
    },
  };
}

function logCall(logger: Logger, call: CallRecord & { tool: string; session: string; ms: number }): void {
  const tries = call.attempts.length;
  const asked = tries === 0 ? '' : `, ${tries} attempt${tries === 1 ? '' : 's'} (${call.attempts.map((a) => `${a.model} ${a.outcome}`).join(', ')})`;
  const what = call.outcome === 'ok' ? `answered${call.model ? ` by ${call.model}` : ''}` : call.outcome;
  const fields = { tool: call.tool, session: call.session, model: call.model ?? null, outcome: call.outcome, ms: call.ms, attempts: call.attempts };
  const message = `${call.tool} ${what} in ${call.ms} ms${asked}`;
  if (WARN.has(call.outcome)) logger.warn(fields, message);
  else logger.info(fields, message);
}

/** A result no method recorded: the SDK's own refusal (an unknown tool, an error result), or none (thrown). */
function unrecorded(result: unknown): CallRecord {
  const isError = typeof result === 'object' && result !== null && (result as { isError?: unknown }).isError === true;
  return { outcome: isError ? 'refused' : 'internal', attempts: [] };
}
