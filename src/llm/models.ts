/**
 * models.yaml: which models each skill asks, in order. The original shape is kept
 * (`default_chain`, `skills.<skill>.chain`) so existing files keep working; context windows are
 * an optional addition. A skill is named by its tool (`tdd_red`) or by its family (`tdd`, which
 * covers the three TDD phases): files written for the first deployment used either.
 */
import { readFile } from 'node:fs/promises';
import jsYaml from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from '../../common/env.js';

const modelName = z.string().regex(/^\S+$/, 'model names have no spaces');
const chain = z.array(modelName).min(1, 'must list at least one model');

const ModelsFile = z
  .object({
    default_chain: chain,
    skills: z.record(z.string(), z.object({ chain }).loose()).default({}),
    default_context_window: z.number().int().min(1024).default(8192),
    models: z.record(z.string(), z.object({ context_window: z.number().int().min(1024) }).loose()).default({}),
  })
  .loose();

export interface ModelsConfig {
  /** The models a tool asks, in order: its own chain, else its family's, else the default. */
  chainFor(tool: string, family?: string): string[];
  contextWindow(model: string): number;
  /** Every model named anywhere in the file. */
  allModels(): string[];
}

/** The file as loaded, with what only start-up asks of it. */
export interface LoadedModels extends ModelsConfig {
  /** `skills` keys that name no tool or family of `known`: most likely typos, which would fall back silently. */
  unknownSkills(known: Iterable<string>): string[];
}

export async function loadModels(file: string): Promise<LoadedModels> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`SUPERVISOR_MODELS_FILE ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA });
  } catch (error) {
    throw new ConfigError(`SUPERVISOR_MODELS_FILE ${file} is not valid YAML: ${String((error as Error).message).split('\n')[0]}`);
  }
  const parsed = ModelsFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the file';
    throw new ConfigError(`SUPERVISOR_MODELS_FILE ${file}: ${where} ${issue?.message ?? 'is invalid'}`);
  }
  const config = parsed.data;
  return {
    chainFor: (tool, family) => config.skills[tool]?.chain ?? (family === undefined ? undefined : config.skills[family]?.chain) ?? config.default_chain,
    contextWindow: (model) => config.models[model]?.context_window ?? config.default_context_window,
    allModels: () => [...new Set([...config.default_chain, ...Object.values(config.skills).flatMap((s) => s.chain)])],
    unknownSkills: (known) => {
      const names = new Set(known);
      return Object.keys(config.skills).filter((key) => !names.has(key));
    },
  };
}
