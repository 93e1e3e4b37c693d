/**
 * What a tool call adds to /metrics: calls by tool and model, every model attempt, fallbacks, errors
 * by kind, wall time. Only configured models are labels: a caller's made-up model name would be a new
 * series for good. And the call's one log line (tool, session, model, outcome, ms, attempts), written
 * as the call ends: answered, cancelled and refused calls at info, failures at warn.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger, ModelsConfig } from '../deps.js';
import type { Attempt } from '../llm/chain.js';
import { modelLabel, type McpMetrics } from '../metrics/mcp-metrics.js';

/** Why a call failed, as supervisor_errors_total counts it. */
export type ErrorKind = 'models_failed' | 'cancelled' | 'brain_unavailable' | 'refused' | 'busy' | 'internal';

export interface CallMetrics {
  /** Starts the call's timer; the returned function stops it. */
  started(tool: string): () => void;
  answered(tool: string, model: string | undefined, attempts: Attempt[] | undefined): void;
  failed(tool: string, kind: ErrorKind, attempts?: Attempt[]): void;
  /** Refused before it started (too many calls in flight): no tool, no timer. */
  refused(kind: ErrorKind): void;
  /** Runs one tools/call and writes its log line when it ends, with what answered/failed/refused said of it. */
  logged<T>(tool: string, session: string, run: () => Promise<T>): Promise<T>;
}

/** What the call's log line says; filled in by answered/failed/refused as the call ends. */
interface CallRecord {
  outcome: 'ok' | ErrorKind;
  model?: string | undefined;
  attempts: Attempt[];
}

/** The record of the call running in this async context: answered/failed have no other handle on it. */
const currentCall = new AsyncLocalStorage<CallRecord>();

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
  const record = (outcome: CallRecord['outcome'], model: string | undefined, attempts: Attempt[] | undefined) => {
    const call = currentCall.getStore();
    if (call) Object.assign(call, { outcome, model, attempts: attempts ?? [] });
  };
  return {
    started: (tool) => metrics?.duration.startTimer({ tool }) ?? (() => undefined),
    answered(tool, model, attempts) {
      countAttempts(attempts);
      metrics?.calls.inc({ tool, model: label(model ?? ''), outcome: 'ok' });
      record('ok', model, attempts);
    },
    failed(tool, kind, attempts) {
      countAttempts(attempts);
      metrics?.errors.inc({ kind });
      metrics?.calls.inc({ tool, model: '', outcome: 'error' });
      record(kind, undefined, attempts);
    },
    refused(kind) {
      metrics?.errors.inc({ kind });
      record(kind, undefined, []);
    },
    async logged(tool, session, run) {
      const call: CallRecord = { outcome: 'ok', attempts: [] };
      const started = performance.now();
      try {
        return await currentCall.run(call, run);
      } finally {
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
