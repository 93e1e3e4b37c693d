/**
 * The `supervisor bridge` command. Claude Code starts it at the start of every session and waits for
 * its answer to `initialize`, so it loads only what the bridge needs; `npm run build` bundles this file
 * with everything it imports into one file (dist/src/bridge/main.js), which Node loads several times
 * faster than the hundreds of files of the MCP SDK, zod and ajv (docs/benchmarks.md, start-up).
 *
 * stdout belongs to the protocol: every word for people goes to stderr.
 */
import './jitless.js';
import { ConfigError } from '../../common/env.js';
import { unknownSettingLine, unknownSettings } from '../../common/known-settings.js';
import { bridgeConfig } from '../config.js';
import { VERSION } from '../version.js';
import { startBridge } from './bridge.js';

export async function runBridge(): Promise<void> {
  // A misspelt name (SUPERVISOR_TOKNE) is a setting silently not set: said once, by name, never its value.
  for (const unknown of unknownSettings(process.env)) process.stderr.write(`supervisor bridge: ${unknownSettingLine(unknown)}\n`);
  let bridge: { close(): Promise<void> };
  try {
    bridge = await startBridge({ ...bridgeConfig(), version: VERSION }, (line) => process.stderr.write(`supervisor bridge: ${line}\n`));
  } catch (error) {
    // Handled here, not by the command line: the bundle has its own copy of the error classes.
    // A server that cannot be reached does not end up here (the bridge serves and says why on every
    // call). A bad setting (a malformed SUPERVISOR_URL, a cap that is not a number) does, and stops
    // it: a typo made at install time that no later call can repair, since the bridge's env is fixed
    // for its life. Stopping shows the server as failed in Claude Code's /mcp, with this one line in
    // its MCP log, rather than as connected and answering every call with the same error.
    console.error(`supervisor: ${(error as Error)?.message ?? String(error)}`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const stop = () => void bridge.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
}
