/**
 * The model chains of models.yaml: the file loads, and the longest a consultation can take — every
 * model of its chain timing out in turn (src/llm/worst-case.ts) — fits in the time Claude Code
 * gives a tool call. A panel (review, debug) is asked for per call and not counted here.
 */
import { ConfigError, type Env } from '../../common/env.js';
import type { SupervisorConfig } from '../config.js';
import { loadModels, type LoadedModels } from '../llm/models.js';
import { longestConsultation } from '../llm/worst-case.js';
import { duration, ok, problem, warn, type Finding } from './findings.js';

/**
 * What Claude Code gives a tool call when MCP_TOOL_TIMEOUT is unset. Its documentation names the
 * variable but no default. What was found (December 2026): a comment quoting Claude Code's source
 * (github.com/wafflebase/wafflebase pull 600) gives a fallback of 100,000,000 ms, but issues
 * reported on Claude Code (anthropics/claude-code 47076, 22542) show HTTP tool calls ending after
 * about 60 s unless it is set, and 60 s is the MCP TypeScript SDK's request timeout
 * (DEFAULT_REQUEST_TIMEOUT_MSEC). A check that assumed the long fallback would pass setups that
 * fail, so doctor assumes the 60 s and says to set the variable.
 */
const ASSUMED_TOOL_TIMEOUT_MS = 60_000;

/** A tool call also searches the brain and assembles its prompt: a minute to spare for that, and rounding. */
const MARGIN_MS = 60_000;

export async function checkModelsFile(config: SupervisorConfig): Promise<{ models: LoadedModels | null; findings: Finding[] }> {
  try {
    const models = await loadModels(config.modelsFile);
    return { models, findings: [ok(`models.yaml ${config.modelsFile}: ${models.allModels().length} model(s)`)] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { models: null, findings: [problem(`${error.message}: correct the file, or point SUPERVISOR_MODELS_FILE at one that loads`)] };
  }
}

export function checkToolTimeout(config: SupervisorConfig, models: LoadedModels | null, env: Env): Finding[] {
  if (!models) return [];
  const worst = longestConsultation(models, config.modelTimeoutMs);
  const perCall = worst.chain.length * config.modelTimeoutMs;
  const calls = Math.round(worst.ms / perCall);
  const raw = env.MCP_TOOL_TIMEOUT?.trim();
  if (raw && !/^\d+$/.test(raw)) return [problem('MCP_TOOL_TIMEOUT must be a whole number of milliseconds (Claude Code reads it)')];
  const given = raw ? Number(raw) : ASSUMED_TOOL_TIMEOUT_MS;
  const inARow = calls > 1 ? `${calls} chains in a row × ` : '';
  const takes = `a ${worst.tool} call may take up to ${duration(worst.ms)} (${inARow}${worst.chain.length} model(s) × ${duration(config.modelTimeoutMs)} of SUPERVISOR_MODEL_TIMEOUT_SECONDS, each timing out in turn)`;
  const suggested = Math.ceil((worst.ms + MARGIN_MS) / 60_000) * 60_000;
  const fix = `set MCP_TOOL_TIMEOUT=${suggested} where Claude Code starts (or in the "env" of its settings.json), or lower SUPERVISOR_MODEL_TIMEOUT_SECONDS or shorten the chains of models.yaml`;
  if (given >= worst.ms) return [ok(`Claude Code's tool timeout (MCP_TOOL_TIMEOUT ${raw ? `= ${given}` : `unset, ${duration(given)} assumed`}) covers the slowest consultation: ${takes}`)];
  // Unset here is not unset for Claude Code: its settings.json may set it, which doctor cannot see.
  if (!raw) return [warn(`${takes}, but Claude Code ends a tool call after ${duration(given)} when MCP_TOOL_TIMEOUT is unset: ${fix}`)];
  return [problem(`${takes}, but MCP_TOOL_TIMEOUT=${given} ends it after ${duration(given)}: ${fix}`)];
}
