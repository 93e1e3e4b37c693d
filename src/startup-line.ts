/**
 * The start-up line a person reads: version, where the MCP server and the brain are, how many notes
 * the brain has, whether LiteLLM answers and which configured models it lacks — with what to do when
 * it does not. Logged once the brain is loaded and LiteLLM was asked (at most PROBE_TIMEOUT_MS), so
 * it never holds the server back: requests are served meanwhile.
 */
import type { Deps } from './deps.js';
import { liteLlmState, modelServerName, probeStatus } from './tools/status.js';

export interface StartupFacts {
  version: string;
  mcpUrl: string;
  /** Where the brain is: the embedded ingestion service's URL and folder, or the separate service. */
  brainAt: string;
  /** Settles when the embedded brain is loaded (its note count is then right). */
  brainLoaded: Promise<unknown>;
}

export async function logStartupLine(deps: Pick<Deps, 'llm' | 'models' | 'brain' | 'logger'>, facts: StartupFacts): Promise<void> {
  await facts.brainLoaded.catch(() => undefined);
  const { report } = await probeStatus(deps);
  const { litellm, brain } = report;
  const brainPart = brain.reachable
    ? `${brain.notes} notes`
    : brain.token_refused
      ? `${brain.error}; until then consulting tools answer without knowledge and brain tools fail`
      : `NOT reachable (${brain.error}): consulting tools answer without knowledge`;
  const line =
    `supervisor ${facts.version} ready: MCP ${facts.mcpUrl}; brain ${facts.brainAt}, ${brainPart}; ` +
    `${modelServerName(deps)} ${litellm.url} ${liteLlmState(litellm, modelServerName(deps))}`;
  const fields = {
    version: facts.version,
    mcp: facts.mcpUrl,
    brain: facts.brainAt,
    brain_notes: brain.notes ?? null,
    ...(brain.token_refused ? { brain_token_refused: true } : {}),
    litellm_reachable: litellm.reachable,
    models_missing: litellm.models_missing,
  };
  const healthy = litellm.reachable && litellm.models_missing.length === 0 && brain.reachable;
  if (healthy) deps.logger.info(fields, line);
  else deps.logger.warn(fields, line);
}
