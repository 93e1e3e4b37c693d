/**
 * How a resource read fails, as MCP errors: resource not found (-32602 with the URI as its data, in
 * both eras: the 2026-07-28 spec's code, which the SDK also sends 2025-era clients; they accept it
 * beside the older -32002), invalid params for a URI that names none, internal error when the brain
 * cannot answer.
 */
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError } from '@modelcontextprotocol/server';

/** URIs are echoed in errors up to this many characters: a hostile one may be megabytes long. */
const SHOWN_URI_CHARS = 200;

export const shown = (uri: string) => (uri.length > SHOWN_URI_CHARS ? `${uri.slice(0, SHOWN_URI_CHARS)}…` : uri);

export const resourceNotFound = (uri: string, why: string) => new ResourceNotFoundError(shown(uri), `Resource not found: ${shown(uri)}: ${why}`);

export const badResourceUri = (uri: string, why: string) => new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid resource URI ${shown(uri)}: ${why}`, { uri: shown(uri), reason: 'invalid_uri' });

export const resourceUnavailable = (uri: string, why: string) => new ProtocolError(ProtocolErrorCode.InternalError, `Cannot read ${shown(uri)}: ${why}`);
