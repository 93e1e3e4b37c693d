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
  /**
   * The model's window: as models.yaml declares it, else as the model server reports it
   * (adoptServedWindows), else `default_context_window`. Ollama's own smaller window wins over a
   * declared one: Ollama cuts a longer prompt silently, starting with the discipline.
   */
  contextWindow(model: string): number;
  /** Every model named anywhere in the file. */
  allModels(): string[];
  /** Which kind of server answered the window probe at start (LiteLLM unless Ollama's own routes did): what messages name. */
  modelServer?(): 'LiteLLM' | 'Ollama';
}

/** The file as loaded, with what only start-up asks of it. */
export interface LoadedModels extends ModelsConfig {
  /** `skills` keys that name no tool or family of `known`: most likely typos, which would fall back silently. */
  unknownSkills(known: Iterable<string>): string[];
  /**
   * Takes the windows the model server reports (servedWindows) for the models models.yaml gives
   * none, and returns the declared ones that differ from the server's: start-up warns about them.
   */
  adoptServedWindows(served: ReadonlyMap<string, number>): WindowDisagreement[];
}

export interface WindowDisagreement {
  model: string;
  declared: number;
  served: number;
  /** Which server reported `served` (ServedWindows.source); LiteLLM when not known. */
  source: 'LiteLLM' | 'Ollama';
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
  let source: WindowDisagreement['source'] = 'LiteLLM';
  return {
    chainFor: (tool, family) => config.skills[tool]?.chain ?? (family === undefined ? undefined : config.skills[family]?.chain) ?? config.default_chain,
    contextWindow: (model) => {
      const declared = config.models[model]?.context_window;
      const reported = served.get(model);
      if (declared === undefined) return reported ?? config.default_context_window;
      return source === 'Ollama' && reported !== undefined ? Math.min(declared, reported) : declared;
    },
    allModels: () => [...new Set([...config.default_chain, ...Object.values(config.skills).flatMap((s) => s.chain)])],
    modelServer: () => source,
    unknownSkills: (known) => {
      const names = new Set(known);
      return Object.keys(config.skills).filter((key) => !names.has(key));
    },
    adoptServedWindows: (windows) => {
      served = windows;
      source = windows instanceof ServedWindows && windows.source === 'Ollama' ? 'Ollama' : 'LiteLLM';
      return Object.entries(config.models).flatMap(([model, { context_window: declared }]) => {
        const reported = windows.get(model);
        return reported !== undefined && reported !== declared ? [{ model, declared, served: reported, source }] : [];
      });
    },
  };
}

/** How long start-up waits for the windows (/model/info, or Ollama's routes): a server that is down must not hold the server back. */
export const MODEL_INFO_TIMEOUT_MS = 2000;

/** The smallest window a server may report and be believed (the same floor as models.yaml's). */
const MIN_WINDOW = 1024;

/** Ollama models asked about at most: each is one /api/show. */
const MAX_OLLAMA_MODELS = 64;

/**
 * The context windows a model server reports, by model name, and which server said so: LiteLLM's
 * `max_input_tokens` is what its config or model map claims (the backend may hold another), while
 * Ollama's is the context it really runs the model with, and it cuts a longer prompt silently.
 */
export class ServedWindows extends Map<string, number> {
  constructor(readonly source: 'LiteLLM' | 'Ollama' | null = null) {
    super();
  }
}

/**
 * The context windows the model server reports, by model name. LiteLLM: `GET /model/info` lists
 * each deployment as `{model_name, model_info: {max_input_tokens}}`; a model served by several
 * deployments gets the smallest. Ollama (no /model/info; LITELLM_BASE_URL pointed straight at it):
 * the context a loaded model runs with (`GET /api/ps`, `context_length`), else the `num_ctx` its
 * Modelfile sets (`POST /api/show`, capped by the model's own `context_length`); a model with
 * neither runs with OLLAMA_CONTEXT_LENGTH or Ollama's default, which no route tells, and gets no
 * entry. `models`: the names to ask Ollama about (default: every model it has, GET /api/tags).
 * Empty — never an error — when the server is unreachable, is neither, or reports no windows:
 * windows then stay models.yaml's.
 */
export async function servedWindows(
  baseUrl: string,
  apiKey: string | undefined,
  timeoutMs = MODEL_INFO_TIMEOUT_MS,
  models?: readonly string[],
): Promise<ServedWindows> {
  // The routes live at the server's root (LiteLLM's also under /v1); LITELLM_BASE_URL may name either.
  const root = baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  const signal = AbortSignal.timeout(timeoutMs);
  const get = (path: string, body?: unknown) =>
    getJson(`${root}${path}`, { accept: 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) }, signal, body);
  const info = await get('/model/info');
  if (info && typeof info === 'object' && 'data' in info && Array.isArray(info.data)) return liteLlmWindows(info.data as unknown[]);
  const version = await get('/api/version');
  if (!version || typeof version !== 'object' || typeof (version as { version?: unknown }).version !== 'string') return new ServedWindows();
  return ollamaWindows(get, models);
}

function liteLlmWindows(data: unknown[]): ServedWindows {
  const windows = new ServedWindows('LiteLLM');
  for (const item of data) {
    if (!item || typeof item !== 'object') continue;
    const { model_name: name, model_info: info } = item as { model_name?: unknown; model_info?: { max_input_tokens?: unknown } | null };
    const tokens = tokensOf(info?.max_input_tokens);
    if (typeof name === 'string' && tokens !== undefined) windows.set(name, Math.min(tokens, windows.get(name) ?? Infinity));
  }
  return windows;
}

type Get = (path: string, body?: unknown) => Promise<unknown>;

async function ollamaWindows(get: Get, models: readonly string[] | undefined): Promise<ServedWindows> {
  const windows = new ServedWindows('Ollama');
  const listed = (body: unknown) => {
    const list = body && typeof body === 'object' && 'models' in body && Array.isArray(body.models) ? (body.models as unknown[]) : [];
    return list.filter((m): m is { name?: unknown; model?: unknown; context_length?: unknown } => Boolean(m) && typeof m === 'object');
  };
  const [running, tags] = await Promise.all([get('/api/ps'), models ? undefined : get('/api/tags')]);
  const names = (models ?? listed(tags).map((m) => m.model ?? m.name).filter((n): n is string => typeof n === 'string')).slice(0, MAX_OLLAMA_MODELS);
  const shown = await Promise.all(names.map(async (name) => [name, await get('/api/show', { model: name })] as const));
  for (const [name, show] of shown) {
    const tokens = ollamaNumCtx(show);
    if (tokens !== undefined) setOllama(windows, name, tokens);
  }
  // A loaded model's context is the one it runs with now: it wins over the Modelfile's.
  for (const model of listed(running)) {
    const name = typeof model.model === 'string' ? model.model : model.name;
    const tokens = tokensOf(model.context_length);
    if (typeof name === 'string' && tokens !== undefined) setOllama(windows, name, tokens);
  }
  return windows;
}

/** Ollama names a model with its tag (`llama3.2:latest`) and answers to it without `:latest` too. */
function setOllama(windows: ServedWindows, name: string, tokens: number): void {
  windows.set(name, tokens);
  if (name.endsWith(':latest')) windows.set(name.slice(0, -':latest'.length), tokens);
}

/** /api/show: `num_ctx` from `parameters` ("num_ctx 32768\nstop …"), at most the model's own `<arch>.context_length`. */
function ollamaNumCtx(show: unknown): number | undefined {
  if (!show || typeof show !== 'object') return undefined;
  const { parameters, model_info: info } = show as { parameters?: unknown; model_info?: Record<string, unknown> | null };
  const numCtx = typeof parameters === 'string' ? tokensOf(Number(/^num_ctx\s+(\d+)\s*$/m.exec(parameters)?.[1])) : undefined;
  if (numCtx === undefined) return undefined;
  const trained = Object.entries(info ?? {}).find(([key]) => key.endsWith('.context_length'))?.[1];
  return typeof trained === 'number' && trained >= MIN_WINDOW ? Math.min(numCtx, trained) : numCtx;
}

/** A window worth believing: a whole number of tokens, at least MIN_WINDOW. */
function tokensOf(tokens: unknown): number | undefined {
  return typeof tokens === 'number' && Number.isInteger(tokens) && tokens >= MIN_WINDOW ? tokens : undefined;
}

/** A JSON answer, or undefined for anything else (unreachable, an error status, not JSON, too slow). */
async function getJson(url: string, headers: Record<string, string>, signal: AbortSignal, body?: unknown): Promise<unknown> {
  try {
    const response = await fetch(url, {
      ...(body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }),
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      signal,
    });
    if (!response.ok) return undefined;
    return await response.json();
  } catch {
    return undefined;
  }
}

/** The start-up warning for a declared window the model server reports otherwise. */
export const disagreementWarning = ({ model, declared, served, source }: WindowDisagreement) =>
  source === 'Ollama'
    ? `models.yaml gives ${model} a context window of ${declared} tokens but Ollama runs it with ${served} (num_ctx): ` +
      (served < declared
        ? `prompts are fitted to ${served}, since Ollama would cut a longer one silently; raise its num_ctx (OLLAMA_CONTEXT_LENGTH, or PARAMETER num_ctx in a Modelfile) or lower models.yaml's window`
        : `prompts are fitted to ${declared}; raise models.yaml's window to use more`)
    : `models.yaml gives ${model} a context window of ${declared} tokens but LiteLLM reports ${served} (max_input_tokens at /model/info): prompts are fitted to ${declared}; correct models.yaml if LiteLLM is right`;
