/**
 * What the tools depend on, as interfaces: the server wires the real ones (src/serve.ts), a test can
 * pass fakes (an in-memory session store, a model client that answers at once).
 */
import type { BrainClient } from './brain/client.js';
import type { AdviceTally } from './consult/advice-outcome.js';
import type { DisciplineStore } from './consult/disciplines.js';
import type { Completion, CompletionRequest } from './llm/chain.js';
import type { ModelsConfig } from './llm/models.js';
import type { SessionListing, SessionListRequest } from '../common/session-log/listing.js';
import type { Newest, RecentOptions, SessionEntry, Tail } from './session/log.js';

export type { BrainClient } from './brain/client.js';
export type { ModelsConfig } from './llm/models.js';

/** The models behind LiteLLM (src/llm/chain.ts ChainClient). */
export interface ModelClient {
  /** Where the models are, for messages. */
  readonly baseUrl: string;
  /** Asks the models of `chain` in order until one answers; throws ChainFailed when none does. */
  complete(chain: readonly string[], request: CompletionRequest): Promise<Completion>;
  /** The model names served. */
  servedModels(timeoutMs: number): Promise<string[]>;
}

/** Session logs: on this server's disk (src/session/log.ts SessionLog) or the brain service's (src/session/remote.ts). */
export interface SessionStore {
  /** Writes the entry as one whole line of its session's log, or throws (nothing written). */
  append(entry: SessionEntry): Promise<unknown>;
  /** The session's newest entries (at most `limit`, those `keep` accepts), oldest first. */
  recent(sessionId: string, options?: RecentOptions): Promise<SessionEntry[]>;
  /** The entries within the last `maxBytes` of the log, and whether they are all of it (nothing counted before them). */
  newest(sessionId: string, maxBytes: number): Promise<Newest>;
  /**
   * The newest entries within the last `maxBytes` of the log, and how many earlier ones were not read.
   * `enough` is asked of each entry, newest first: reading stops after the one it says true of.
   */
  tail(sessionId: string, maxBytes: number, enough?: (entry: SessionEntry) => boolean): Promise<Tail>;
  /** The sessions that have a log, newest first, a page at a time (common/session-log/listing.ts). */
  list(request?: SessionListRequest): Promise<SessionListing>;
  /** Calls `listener` (debounced) when a new session's log starts (in team mode, by any replica); returns what stops it. */
  onNewLog(listener: () => void): () => void;
}

export type { DisciplineStore };

/** The part of a pino logger the tools use. */
export interface Logger {
  error(object: object, message: string): void;
  warn(object: object, message: string): void;
  info(object: object, message: string): void;
  debug(object: object, message: string): void;
}

export interface Deps {
  llm: ModelClient;
  models: ModelsConfig;
  brain: BrainClient;
  sessions: SessionStore;
  disciplines: DisciplineStore;
  /** Folders under which the server may read a call's project_root (SUPERVISOR_PROJECT_ROOTS). */
  projectRoots: string[];
  logger: Logger;
  /** Where `supervisor eval` keeps its scoreboards (SUPERVISOR_EVAL_DIR): `status` shows the latest. */
  evalDir?: string | undefined;
  /** Outcomes of TDD advice seen in real use (src/consult/advice-outcome.ts): `status` and /metrics show them. */
  advice?: AdviceTally | undefined;
}
