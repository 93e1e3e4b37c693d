/**
 * What the web page shows besides the notes, handed in by whoever starts the service: the session
 * logs and the eval scoreboard belong to the MCP server (src/session, src/eval), which ingestion/
 * does not import. In the embedded default `supervisor serve` passes both; the service run alone
 * (team mode) has neither, and the page says so.
 */

/** One model asked for a call, as a session-log line holds it. */
export interface LoggedAttempt {
  model: string;
  outcome: string;
  ms: number;
  status?: number;
  detail?: string;
}

/** A session-log line (src/session/log.ts SessionEntry): the fields the page shows. */
export interface LoggedCall {
  timestamp: string;
  skill: string;
  phase: string;
  project_root: string | null;
  final_status: string;
  model_used: string | null;
  duration_ms: number;
  message: string;
  message_chars?: number;
  arguments?: Record<string, string>;
  attempts: LoggedAttempt[];
  /** The brain notes given to the model, by path (absent in older lines). */
  knowledge?: string[];
}

export interface SessionsSource {
  /** Where the logs are, said on the page. */
  readonly dir: string;
  /** A page of the sessions, newest first (src/session/listing.ts). */
  list(request: { after?: string; limit?: number }): Promise<{ sessions: Array<{ id: string; modified?: string; bytes?: number }>; next: string | null; order: string }>;
  /** The first calls of a session, within the log's first `maxBytes`. */
  head(id: string, maxBytes: number): Promise<LoggedCall[]>;
  /** The last calls within the log's last `maxBytes`, oldest first, and how many lines came before. */
  tail(id: string, maxBytes: number): Promise<{ entries: LoggedCall[]; earlier: number; earlierExact: boolean }>;
}

/** A `supervisor eval` scoreboard (src/eval/scoreboard.ts): the fields the page shows. */
export interface ScoreboardView {
  date: string;
  litellm: string;
  repeat: number;
  scores: Array<{ model: string; skill: string; passed: number; failed: number; total: number; rate: number; interval: [number, number]; latency_ms: { p50: number; p95: number } | null }>;
}

/** The newest kept scoreboard, a problem reading it, or null when there is none. */
export type KeptScoreboard = { board: ScoreboardView; path: string } | { problem: string } | null;

export type ScoreboardSource = () => Promise<KeptScoreboard>;

export interface WebSources {
  scoreboard?: ScoreboardSource | undefined;
}
