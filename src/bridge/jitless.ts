/**
 * Imported first by the bridge's entry, so it runs before the MCP SDK defines its schemas: zod then
 * parses without compiling a parser per object schema (`new Function`), which costs more than it saves
 * in a process that parses a few messages before it must answer `initialize`.
 */
import { config } from 'zod';

config({ jitless: true });
