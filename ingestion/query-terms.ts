// Moved to common/query-terms.ts (both sides use it). A re-export for src/skills/consult.ts until it imports from there.
export { MAX_QUERY_TERMS, queryTerms } from '../common/query-terms.js';
