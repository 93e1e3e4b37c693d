/**
 * What a consulting call answers with, on both sides of the wire: the tools give it, the bridge reads
 * it and passes it on, the session log keeps parts of it, the tests check it. The structuredContent of
 * tdd_red, tdd_green, tdd_refactor, review, debug, spec, retrospective and trainer (docs/mcp.md); the
 * tools/list `_meta` keys that tell a client which arguments name files; what a session id is. Like
 * brain-contract.ts for the brain's HTTP API: one place for the shapes others rely on.
 */

/** A consultation session's id: the handle a consulting answer gives and later calls pass on. It becomes a file name, so nothing else is accepted. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The `_meta` key of tools/list under which a tool lists its arguments that name files (relative to
 * `project_root`), for a client that runs where the code is (the bridge) to read and attach them.
 */
export const FILE_ARGUMENTS_META = 'supervisor/file_arguments';

/**
 * The `_meta` key under which a tool names its argument that holds a path (relative to `project_root`)
 * to save the answer to: the bridge writes the file, where the code is.
 */
export const OUTPUT_FILE_META = 'supervisor/output_file';

/** How one model try ended. */
export type Outcome =
  | 'ok'
  | 'connection_refused'
  | 'connection_error'
  | 'timeout'
  | 'rate_limited'
  | 'server_error'
  | 'not_found'
  | 'client_error'
  | 'unauthorized'
  | 'context_exceeded'
  | 'empty'
  | 'cancelled';

/** One model asked, in the order asked. */
export interface Attempt {
  model: string;
  outcome: Outcome;
  ms: number;
  status?: number;
  detail?: string;
  /** Set on a second try of the same model: the context window, in tokens, the prompt was fitted to again. */
  refit_window?: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** What was left out or shortened so the prompt fits the model's context. */
export interface WhatWasCut {
  knowledge: number;
  history: number;
  /** Attachments shortened to fit, by path. */
  truncated: string[];
  /** Attachments left out entirely (even their first lines would not fit), by path. */
  omitted: string[];
  /** Text arguments shortened to fit, by argument name (e.g. `requirements`). */
  fields: string[];
  /** retrospective/trainer: how many of the oldest session-log entries were left out. */
  session_entries?: number;
  /** retrospective/trainer: set when the log is too long to count whole, and `session_entries` is a lower bound. */
  session_entries_at_least?: true;
}

/** A file a call named or attached, and what became of it. */
export interface AttachmentReport {
  path: string;
  status: 'given' | 'attached' | 'skipped';
  reason?: string;
  chars?: number;
}

/** A consultation: the model's answer and how it was made. */
export interface Consultation {
  text: string;
  model: string;
  duration_ms: number;
  attempts: Attempt[];
  /** Brain notes given to the model, by path. */
  knowledge: string[];
  session_id: string;
  phase: string;
  /** "ok", or why the call went on without the brain. */
  brain: string;
  cut: WhatWasCut;
  usage: Usage | null;
  /** review / debug with `panel`: how the panel went. */
  panel?: PanelReport;
}

/**
 * Whether the previous TDD step's advice worked, read from the test run that followed it (the
 * `test_output` of a tdd_green or tdd_refactor call): red advice worked when its test failed by an
 * assertion, green and refactor advice when the tests pass.
 */
export interface AdviceOutcome {
  /** The skill whose advice is judged: the session's previous successful TDD call. */
  skill: 'tdd_red' | 'tdd_green' | 'tdd_refactor';
  /** The model that gave it. */
  model: string;
  expected: 'failed' | 'passed';
  /** What the output shows: `error` is a run that did not get to its tests (syntax, import, compile). */
  seen: 'passed' | 'failed' | 'error' | 'unknown';
  /** Null when the output does not tell. */
  worked: boolean | null;
}

/** review / debug asked as a panel: who was asked, who answered, who merged the answers. */
export interface PanelReport {
  /** The models asked, in panel order. */
  models: string[];
  /** Those that answered in time, in panel order. */
  answered: string[];
  /** The model that merged the answers; null when one answered alone, or no merge succeeded. */
  merged_by: string | null;
  /** Those that did not answer, and why (`too_slow`: still thinking at twice the first answer's time). */
  failed: Array<{ model: string; reason: string }>;
  /** Why no answering model could merge: the first answer is given unmerged. */
  merge_failed?: string;
}

/** A consulting tool's structuredContent: the consultation and what the call adds to it. */
export interface ConsultationResult extends Consultation {
  /** The files the call named or attached (consulting tools). */
  files?: AttachmentReport[];
  /** The call came out of its TDD order. */
  phase_warning?: string;
  /** The call named no session and had none from its connection: it started `session_id`. */
  session_started?: true;
  /** Why the call is missing from the session's history (its log line was not written). */
  session_log?: string;
  /** tdd_green / tdd_refactor given `test_output`: how the previous step's advice turned out. */
  advice_outcome?: AdviceOutcome;
}

/**
 * A tool result's structuredContent as a consultation, or null when it is none (another tool's, an
 * error, another server's): checked, not cast, since it comes over the wire.
 */
export function consultationOf(structured: unknown): ConsultationResult | null {
  if (!structured || typeof structured !== 'object' || Array.isArray(structured)) return null;
  const { text, model, attempts, cut, session_id } = structured as Record<string, unknown>;
  const isCut = !!cut && typeof cut === 'object' && ['truncated', 'omitted', 'fields'].every((key) => Array.isArray((cut as Record<string, unknown>)[key]));
  return typeof text === 'string' && typeof model === 'string' && typeof session_id === 'string' && Array.isArray(attempts) && isCut ? (structured as ConsultationResult) : null;
}
