/**
 * The MCP SDK's JSON Schema validator (ajv), made on first use, not with every Client or Server:
 * building it compiles ajv's meta-schemas and formats (10–15 ms). The bridge would pay that at every
 * start, and the MCP server at every session's `initialize`, for a validator that only elicitation
 * (the server) or an output schema (the bridge) ever asks for.
 */
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';

export function lazySchemaValidator(): jsonSchemaValidator {
  let validator: AjvJsonSchemaValidator | undefined;
  return { getValidator: (schema) => (validator ??= new AjvJsonSchemaValidator()).getValidator(schema) };
}
