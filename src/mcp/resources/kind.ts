/** What each kind of resource (notes, sessions) gives the shared listing and the URI check (index.ts). */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Resource } from '@modelcontextprotocol/sdk/types.js';

export interface ResourcePage {
  resources: Resource[];
  /** Where this kind's next page starts; null when it has no more. */
  next: string | null;
}

export interface ResourceKind {
  /** Every URI of this kind starts with this (and no other kind's does). */
  readonly prefix: string;
  /**
   * Checks a URI as the client sent it, before the SDK parses it as a URL (which folds `..` and
   * `%2e%2e` segments away), and throws a clear MCP error for one that names no resource.
   */
  check(uri: string): void;
  /** Up to `limit` resources after `after` (a `next` this kind gave). */
  page(after: string | undefined, limit: number, signal: AbortSignal): Promise<ResourcePage>;
  /** Registers the template (read and completion) on one MCP session's server. */
  register(server: McpServer): void;
}

/** The most values a completion answers with (the MCP spec's bound). */
export const COMPLETION_MAX = 100;
