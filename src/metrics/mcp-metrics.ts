/** Prometheus metrics of the MCP server (GET /metrics on its port). */
import { collectDefaultMetrics } from 'prom-client';
import { MetricRegistry } from '../../common/metrics.js';
import type { AdviceTally } from '../consult/advice-outcome.js';

/**
 * The model label of a series. Every label value is a series kept for the life of the process, so a
 * name a caller chose (the `model` argument) must not become one: models of models.yaml keep their
 * name, anything else is counted as "other". (Tools, outcomes and kinds are fixed sets.)
 */
export function modelLabel(configured: Iterable<string>, model: string): string {
  if (model === '') return model;
  for (const name of configured) if (name === model) return model;
  return 'other';
}

export class McpMetrics extends MetricRegistry {
  readonly calls = this.counter({
    name: 'supervisor_tool_calls_total',
    help: 'Tool calls by tool, answering model (empty when none answered; "other" when not in models.yaml) and outcome (ok or error).',
    labelNames: ['tool', 'model', 'outcome'] as const,
  });

  readonly duration = this.histogram({
    name: 'supervisor_tool_call_duration_seconds',
    help: 'Wall time of tool calls, the model included.',
    labelNames: ['tool'] as const,
    buckets: [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300],
  });

  readonly modelCalls = this.counter({
    name: 'supervisor_model_attempts_total',
    help: 'Requests to LiteLLM by model ("other" when not in models.yaml) and outcome (ok, timeout, rate_limited, server_error, …).',
    labelNames: ['model', 'outcome'] as const,
  });

  readonly fallbacks = this.counter({
    name: 'supervisor_model_fallbacks_total',
    help: 'Times a model failed and the next model of the chain was asked, by the model that failed and why.',
    labelNames: ['model', 'reason'] as const,
  });

  readonly errors = this.counter({
    name: 'supervisor_errors_total',
    help: 'Failed tool calls by kind: models_failed, brain_unavailable, refused, cancelled, busy, internal.',
    labelNames: ['kind'] as const,
  });

  readonly sessions;

  /** `advice`: the server's tally of TDD advice outcomes, read at each scrape (it keeps the counts). */
  constructor(sessionCount: () => number, advice?: Pick<AdviceTally, 'rows'>) {
    super();
    collectDefaultMetrics({ register: this.registry, prefix: 'supervisor_' });
    this.sessions = this.sampledGauge('supervisor_mcp_sessions', 'Open MCP sessions.', sessionCount);
    if (advice) this.adviceOutcomes(advice);
  }

  private adviceOutcomes(advice: Pick<AdviceTally, 'rows'>): void {
    this.counter({
      name: 'supervisor_advice_outcomes_total',
      help: "Whether a TDD step's advice worked, as the next call's test_output showed: by the step's skill, its model (\"other\" when not in models.yaml) and outcome (worked or failed).",
      labelNames: ['skill', 'model', 'outcome'] as const,
      collect() {
        this.reset();
        for (const { skill, model, worked, failed } of advice.rows()) {
          if (worked) this.inc({ skill, model, outcome: 'worked' }, worked);
          if (failed) this.inc({ skill, model, outcome: 'failed' }, failed);
        }
      },
    });
  }
}
