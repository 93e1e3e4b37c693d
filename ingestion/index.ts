/**
 * The ingestion service's public surface: all that code outside ingestion/ may import from it
 * (eslint.config.js enforces this). The shapes exchanged with the brain are not here but in
 * common/brain-contract.ts, which both sides share.
 */
export { ingestionConfig, type IngestionConfig } from './config.js';
export { startIngestion, type RunningIngestion } from './service.js';
/** The brain itself, for the MCP server's in-process client (the embedded mode) and the bench. */
export { Brain } from './brain.js';
/** What the Brain throws: a refusal with its HTTP status, and a note name it cannot use. */
export { BrainError } from './errors.js';
export { BadNoteName, MAX_PATH_BYTES } from './note-names.js';
/** The notes whose frontmatter does not parse, read from disk without the service (`supervisor doctor`). */
export { frontmatterProblems, type FrontmatterSurvey, type NoteProblem } from './frontmatter-problems.js';
/** What the web page is handed besides the notes (the embedded default passes the session logs and the scoreboard). */
export type { LoggedCall, ScoreboardSource, SessionsSource, WebSources } from './web/sources.js';
