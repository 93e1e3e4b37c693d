/**
 * What a tool call adds to /metrics: calls by tool and model, every model attempt, fallbacks, errors
 * by kind, wall time. Only configured models are labels: a caller's made-up model name would be a new
 * series for good.
 */
import type { ModelsConfig } from '../deps.js';
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
}

export function callMetrics(metrics: McpMetrics | undefined, models: ModelsConfig): CallMetrics {
  const label = (model: string) => modelLabel(models.allModels(), model);
  const countAttempts = (attempts: Attempt[] = []) => {
    attempts.forEach((attempt, i) => {
      metrics?.modelCalls.inc({ model: label(attempt.model), outcome: attempt.outcome });
      if (i < attempts.length - 1) metrics?.fallbacks.inc({ model: label(attempt.model), reason: attempt.outcome });
    });
  };
  return {
    started: (tool) => metrics?.duration.startTimer({ tool }) ?? (() => undefined),
    answered(tool, model, attempts) {
      countAttempts(attempts);
      metrics?.calls.inc({ tool, model: label(model ?? ''), outcome: 'ok' });
    },
    failed(tool, kind, attempts) {
      countAttempts(attempts);
      metrics?.errors.inc({ kind });
      metrics?.calls.inc({ tool, model: '', outcome: 'error' });
    },
    refused: (kind) => metrics?.errors.inc({ kind }),
  };
}
