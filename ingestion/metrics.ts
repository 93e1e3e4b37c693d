/** Prometheus metrics of the ingestion service (GET /metrics on its port). */
import { MetricRegistry } from '../common/metrics.js';

export class IngestionMetrics extends MetricRegistry {
  readonly queryDuration = this.histogram({
    name: 'supervisor_brain_query_duration_seconds',
    help: 'Time to answer a brain search, excerpts included.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  });

  readonly writes = this.counter({
    name: 'supervisor_brain_writes_total',
    help: 'Notes written by action (created, overwritten, appended) or refusal (conflict, bad_request).',
    labelNames: ['result'] as const,
  });

  readonly sessionLines = this.counter({
    name: 'supervisor_brain_session_lines_total',
    help: 'Session-log lines written for the MCP server (written, started: the first of a session) or refused (bad_request, too_many_sessions, failed).',
    labelNames: ['result'] as const,
  });

  readonly rescanDuration = this.histogram({
    name: 'supervisor_brain_rescan_duration_seconds',
    help: 'Time each periodic rescan of the brain for edits the folder watches missed took.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });

  readonly rescanChanges = this.counter({
    name: 'supervisor_brain_rescan_changes_total',
    help: 'Notes a periodic rescan indexed or removed: edits the folder watches missed.',
  });

  readonly notes;

  constructor(noteCount: () => number | null) {
    super();
    this.notes = this.sampledGauge('supervisor_brain_notes', 'Notes in the brain index.', noteCount);
  }
}
