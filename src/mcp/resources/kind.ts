/** What each kind of resource (notes, sessions) gives the shared listing, reads and completion (index.ts). */
import type { ReadResourceResult, Resource, ResourceTemplateType } from '@modelcontextprotocol/server';

export interface ResourcePage {
  resources: Resource[];
  /** Where this kind's next page starts; null when it has no more. */
  next: string | null;
}

export interface ResourceKind {
  /** Every URI of this kind starts with this (and no other kind's does). */
  readonly prefix: string;
  /** Up to `limit` resources after `after` (a `next` this kind gave). */
  page(after: string | undefined, limit: number, signal: AbortSignal): Promise<ResourcePage>;
  /** The kind's URI template, as resources/templates/list shows it. */
  readonly template: ResourceTemplateType;
  /** Values for the template's `argument` that start with `value`: at most COMPLETION_MAX + 1. */
  complete(argument: string, value: string): Promise<string[]>;
  /**
   * Reads the resource a URI names, the URI checked as the client sent it (never parsed as a URL,
   * which would fold `..` and `%2e%2e` segments away), with a clear MCP error for one that names none.
   */
  read(uri: string, signal: AbortSignal): Promise<ReadResourceResult>;
}

/** The most values a completion answers with (the MCP spec's bound). */
export const COMPLETION_MAX = 100;
