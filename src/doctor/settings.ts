/**
 * The settings check: names with our prefixes that no program reads (typos, with the closest real
 * name), and values the programs would refuse at start — every one of them, where a start stops at
 * the first.
 */
import { ConfigError, type Env } from '../../common/env.js';
import { unknownSettingLine, unknownSettings } from '../../common/known-settings.js';
import { ingestionConfig, type IngestionConfig } from '../../ingestion/index.js';
import { bridgeConfig, supervisorConfig, type SupervisorConfig } from '../config.js';
import { ok, problem, type Finding } from './findings.js';

export interface CheckedSettings {
  findings: Finding[];
  /** The MCP server's settings, a refused value replaced by its default, for the checks that follow. */
  supervisor: SupervisorConfig;
  ingestion: IngestionConfig;
}

export function checkSettings(env: Env): CheckedSettings {
  const findings = unknownSettings(env).map((unknown) => problem(`${unknownSettingLine(unknown)} Rename it, or unset it`));
  // One message per variable: LOG_LEVEL is read by both configs.
  const refused = new Map<string, string>();
  const supervisor = parseAll(supervisorConfig, env, refused);
  const ingestion = parseAll(ingestionConfig, env, refused);
  parseAll(bridgeConfig, env, refused);
  for (const message of refused.values()) findings.push(problem(`${message}: correct it, or unset it for the default (README.md, Configuration)`));
  if (findings.length === 0) findings.push(ok('settings: every name is one supervisor reads, and every value is accepted'));
  return { findings, supervisor, ingestion };
}

/**
 * `parse(env)`, with each variable it refuses noted in `refused` and left out, until it accepts the
 * rest: a ConfigError names its variable first (common/env.ts `setting`).
 */
function parseAll<T>(parse: (env: Env) => T, env: Env, refused: Map<string, string>): T {
  let remaining: Env = { ...env };
  for (;;) {
    try {
      return parse(remaining);
    } catch (error) {
      const name = error instanceof ConfigError ? /^([A-Z][A-Z0-9_]*) /.exec(error.message)?.[1] : undefined;
      // Not a variable's fault (or one we cannot leave out): nothing more to learn from this config.
      if (name === undefined || remaining[name] === undefined) throw error;
      if (!refused.has(name)) refused.set(name, (error as ConfigError).message);
      remaining = { ...remaining, [name]: undefined };
    }
  }
}
