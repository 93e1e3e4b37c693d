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
  /** The model's window: as models.yaml declares it, else as LiteLLM reports it (adoptServedWindows), else `default_context_window`. */
  contextWindow(model: string): number;
  /** Every model named anywhere in the file. */
  allModels(): string[];
}

/** The file as loaded, with what only start-up asks of it. */
export interface LoadedModels extends ModelsConfig {
  /** `skills` keys that name no tool or family of `known`: most likely typos, which would fall back silently. */
  unknownSkills(known: Iterable<string>): string[];
  /**
   * Takes the windows LiteLLM reports (servedWindows) for the models models.yaml gives none, and
   * returns the declared ones that differ from LiteLLM's: start-up warns about them.
   */
  adoptServedWindows(served: ReadonlyMap<string, number>): WindowDisagreement[];
}

export interface WindowDisagreement {
  model: string;
  declared: number;
  served: number;
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
  let served: ReadonlyMap<string, number> = new Map();
  return {
    chainFor: (tool, family) => config.skills[tool]?.chain ?? (family === undefined ? undefined : config.skills[family]?.chain) ?? config.default_chain,
    contextWindow: (model) => config.models[model]?.context_window ?? served.get(model) ?? config.default_context_window,
    allModels: () => [...new Set([...config.default_chain, ...Object.values(config.skills).flatMap((s) => s.chain)])],
    unknownSkills: (known) => {
      const names = new Set(known);
      return Object.keys(config.skills).filter((key) => !names.has(key));
    },
    adoptServedWindows: (windows) => {
      served = windows;
      return Object.entries(config.models).flatMap(([model, { context_window: declared }]) => {
        const reported = windows.get(model);
        return reported !== undefined && reported !== declared ? [{ model, declared, served: reported }] : [];
      });
    },
  };
}

/** How long start-up waits for LiteLLM's /model/info: a LiteLLM that is down must not hold the server back. */
export const MODEL_INFO_TIMEOUT_MS = 2000;

/** The smallest window LiteLLM may report and be believed (the same floor as models.yaml's). */
const MIN_WINDOW = 1024;

/**
 * The context windows LiteLLM reports, by model name: `GET /model/info` lists each deployment as
 * `{model_name, model_info: {max_input_tokens}}` (from its config or its model map). A model served
 * by several deployments gets the smallest. Empty — never an error — when LiteLLM is unreachable,
 * has no such route (other OpenAI-compatible servers) or reports no windows: windows then stay
 * models.yaml's default.
 */
export async function servedWindows(baseUrl: string, apiKey: string | undefined, timeoutMs = MODEL_INFO_TIMEOUT_MS): Promise<Map<string, number>> {
  const windows = new Map<string, number>();
  // The route lives at the proxy's root (also under /v1); LITELLM_BASE_URL may name either.
  const root = baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  let body: unknown;
  try {
    const response = await fetch(`${root}/model/info`, {
      headers: { accept: 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return windows;
    body = await response.json();
  } catch {
    return windows;
  }
  const data = body && typeof body === 'object' && 'data' in body && Array.isArray(body.data) ? (body.data as unknown[]) : [];
  for (const item of data) {
    if (!item || typeof item !== 'object') continue;
    const { model_name: name, model_info: info } = item as { model_name?: unknown; model_info?: { max_input_tokens?: unknown } | null };
    const tokens = info?.max_input_tokens;
    if (typeof name !== 'string' || typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < MIN_WINDOW) continue;
    windows.set(name, Math.min(tokens, windows.get(name) ?? Infinity));
  }
  return windows;
}

/** The start-up warning for a declared window LiteLLM reports otherwise. */
export const disagreementWarning = ({ model, declared, served }: WindowDisagreement) =>
  `models.yaml gives ${model} a context window of ${declared} tokens but LiteLLM reports ${served} (max_input_tokens at /model/info): prompts are fitted to ${declared}; correct models.yaml if LiteLLM is right`;
