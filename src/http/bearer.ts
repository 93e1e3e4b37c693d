// Moved to common/http/bearer.ts (shared by both services). A re-export for src/mcp/http.ts until it imports from there.
export * from '../../common/http/bearer.js';
