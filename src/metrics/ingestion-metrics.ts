/** Prometheus metrics of the ingestion service (GET /metrics on its port). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class IngestionMetrics {
  readonly registry = new Registry();

  readonly queryDuration = new Histogram({
    name: 'supervisor_brain_query_duration_seconds',
    help: 'Time to answer a brain search, excerpts included.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });

  readonly writes = new Counter({
    name: 'supervisor_brain_writes_total',
    help: 'Notes written by action (created, overwritten, appended) or refusal (conflict, bad_request).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly notes: Gauge;

  constructor(noteCount: () => number | null) {
    this.notes = new Gauge({
      name: 'supervisor_brain_notes',
      help: 'Notes in the brain index.',
      registers: [this.registry],
      collect() {
        const count = noteCount();
        if (count !== null) this.set(count);
      },
    });
  }
}
