/**
 * How a resource read fails, as MCP errors: the spec's -32002 for a resource that does not exist,
 * invalid params for a URI that names none, internal error when the brain cannot answer.
 */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/** The MCP spec's code for "Resource not found" (the SDK has no name for it). */
export const RESOURCE_NOT_FOUND = -32002;

/** URIs are echoed in errors up to this many characters: a hostile one may be megabytes long. */
const SHOWN_URI_CHARS = 200;

export const shown = (uri: string) => (uri.length > SHOWN_URI_CHARS ? `${uri.slice(0, SHOWN_URI_CHARS)}…` : uri);

export const resourceNotFound = (uri: string, why: string) => new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${shown(uri)}: ${why}`, { uri: shown(uri) });

export const badResourceUri = (uri: string, why: string) => new McpError(ErrorCode.InvalidParams, `Invalid resource URI ${shown(uri)}: ${why}`, { uri: shown(uri) });

export const resourceUnavailable = (uri: string, why: string) => new McpError(ErrorCode.InternalError, `Cannot read ${shown(uri)}: ${why}`);
