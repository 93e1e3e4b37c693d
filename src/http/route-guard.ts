// Moved to common/http/route-guard.ts (shared by both services). A re-export for src/mcp/http.ts until it imports from there.
export * from '../../common/http/route-guard.js';
