/**
 * What an MCP session costs the server besides its calls: no JSON Schema validator (ajv) is built per
 * session — building one compiles ajv's meta-schemas, 10–15 ms each (src/schema-validator.ts).
 */
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
useTestSupervisor((started) => (sup = started));

afterEach(() => {
  vi.restoreAllMocks();
});

/** The ajv class the MCP SDK builds its validators from (the SDK's own copy), whose every instance adds its meta-schemas once. */
function sdkAjv(): { prototype: { _addDefaultMetaSchema: () => void } } {
  const fromSdk = createRequire(createRequire(import.meta.url).resolve('@modelcontextprotocol/sdk/validation/ajv'));
  return fromSdk('ajv') as { prototype: { _addDefaultMetaSchema: () => void } };
}

/** The test's clients check nothing, so that every ajv built is the server's. */
const acceptAll: jsonSchemaValidator = { getValidator: () => (input) => ({ valid: true, data: input as never, errorMessage: undefined }) };

describe('MCP sessions', () => {
  it('twenty MCP sessions, each listing tools and calling one, build no ajv validator', async () => {
    const built = vi.spyOn(sdkAjv().prototype, '_addDefaultMetaSchema');
    for (let i = 0; i < 20; i++) {
      const session = new Client({ name: 'sessions-test', version: '1' }, { jsonSchemaValidator: acceptAll });
      await session.connect(new StreamableHTTPClientTransport(new URL(sup.mcpUrl)));
      await session.listTools();
      const result = await session.callTool({ name: 'debug', arguments: { project_root: '/p', error: `TypeError number ${i}` } });
      expect(result.isError).toBeFalsy();
      await session.close();
    }
    expect(built).not.toHaveBeenCalled();
  });
});
