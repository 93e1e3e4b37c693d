/**
 * What the subcommands (`eval`, `doctor`, `init`) share in reading their options: strict parsing,
 * where a bad option is a ConfigError (exit 2) followed by the command's usage, and whole numbers
 * checked against their range with the option named.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../common/env.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export function commandOptions<T extends Options>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // Node's message ends with advice on positionals that does not apply here.
    throw new ConfigError(`${(error as Error).message.replace(/\. To specify.*$/s, '')}\n\n${usage}`);
  }
}

/** `--name`'s value as a whole number from 1 to max. */
export function wholeOption(name: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new ConfigError(`--${name} must be a whole number from 1 to ${max} (got "${value}")`);
  return Number(value);
}
