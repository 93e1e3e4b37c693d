/** The `status` tool: which tiers answer, each probe bounded so a dead tier costs at most 2 s. */
import { z } from 'zod';
import { BrainTokenRefused } from '../brain/client.js';
import type { Deps } from '../deps.js';
import { errorLine } from '../errors.js';
import { defineTool } from './define.js';
import { latestScoreboard } from '../eval/kept.js';
import type { Scoreboard } from '../eval/scoreboard.js';
import type { AdviceCount } from '../consult/advice-outcome.js';

export const PROBE_TIMEOUT_MS = 2000;

export interface StatusReport {
  litellm: { url: string; reachable: boolean; error?: string; models_served: string[]; models_missing: string[] };
  /** `token_refused`: the brain service answers, but not to our INGEST_TOKEN (missing or not its token). */
  brain: { where: string; reachable: boolean; error?: string; notes?: number; token_refused?: true };
}

export async function probeStatus(deps: Pick<Deps, 'llm' | 'models' | 'brain'>): Promise<{ summary: string; report: StatusReport }> {
  const configured = deps.models.allModels();
  const [served, notes] = await Promise.allSettled([
    deps.llm.servedModels(PROBE_TIMEOUT_MS),
    deps.brain.count(AbortSignal.timeout(PROBE_TIMEOUT_MS)),
  ]);
  const litellm: StatusReport['litellm'] =
    served.status === 'fulfilled'
      ? { url: deps.llm.baseUrl, reachable: true, models_served: served.value, models_missing: configured.filter((m) => !served.value.includes(m)) }
      : { url: deps.llm.baseUrl, reachable: false, error: errorLine(served.reason), models_served: [], models_missing: configured };
  const brain: StatusReport['brain'] =
    notes.status === 'fulfilled'
      ? { where: deps.brain.where, reachable: true, notes: notes.value }
      : notes.reason instanceof BrainTokenRefused
        ? { where: deps.brain.where, reachable: false, error: notes.reason.reason, token_refused: true }
        : { where: deps.brain.where, reachable: false, error: errorLine(notes.reason) };

  const server = modelServerName(deps);
  const lines = [`${server} at ${litellm.url}: ${liteLlmState(litellm, server)}`, `Brain (${brain.where}): ${brainState(brain)}`];
  return { summary: lines.join('\n'), report: { litellm, brain } };
}

/**
 * The model server as messages name it: Ollama when LITELLM_BASE_URL points straight at it (found at
 * start), else LiteLLM. The report's field stays `litellm` whichever it is: clients read that name.
 */
export function modelServerName(deps: Pick<Deps, 'models'>): 'LiteLLM' | 'Ollama' {
  return deps.models.modelServer?.() ?? 'LiteLLM';
}

/** The brain's state in a sentence or two, with what it costs. */
function brainState(brain: StatusReport['brain']): string {
  if (brain.reachable) return `reachable, ${brain.notes} notes.`;
  // A refused token is no outage: the service is up and the fix is a setting, said as such.
  if (brain.token_refused) return `${brain.error}. Until then consulting tools answer without knowledge, and brain tools fail.`;
  return `NOT reachable (${brain.error}). Consulting tools answer without knowledge.`;
}

/** What to do when LiteLLM does not answer: the same words in `status` and the start-up line. */
export const LITELLM_UNREACHABLE_HELP =
  'Start LiteLLM (docs/litellm.md) and point LITELLM_BASE_URL at it, or run `npm run fake-llm` (`supervisor fake-llm`) for a first run without a GPU; until then consulting tools fail, brain tools and status still work.';

/** LiteLLM's state in one sentence or two, with what to do about it. */
export function liteLlmState(litellm: StatusReport['litellm'], server: 'LiteLLM' | 'Ollama' = 'LiteLLM'): string {
  // A connection error says "Connection error.": one period is enough.
  if (!litellm.reachable) return `NOT reachable (${litellm.error?.replace(/\.$/, '')}). ${LITELLM_UNREACHABLE_HELP}`;
  const served = `reachable, serves ${litellm.models_served.length} model(s).`;
  if (litellm.models_missing.length === 0) return `${served} Every model in models.yaml is served.`;
  return (
    `${served} Named in models.yaml but not served: ${litellm.models_missing.join(', ')} ` +
    (server === 'Ollama' ? '(`ollama pull` them, or remove them from models.yaml).' : '(add them to the LiteLLM config, or remove them from models.yaml).')
  );
}

export const status = defineTool({
  name: 'status',
  title: 'Status',
  description: 'Health: LiteLLM, which configured models it serves, the brain and its size.',
  kind: 'read',
  reachesNetwork: true,
  input: {},
  // Open and unlisted (litellm, brain, and eval and advice when there are any; docs/mcp.md): tools/list
  // is read into every user's context, and a client has nothing to do with status's fields but show them.
  output: z.object({}).loose(),
  run: async (_args, { deps }) => {
    const [probed, scores] = await Promise.all([probeStatus(deps), deps.evalDir ? latestScoreboard(deps.evalDir) : null]);
    const lines = [probed.summary];
    const structured: Record<string, unknown> = { ...probed.report };
    if (scores && 'problem' in scores) {
      lines.push(`Scoreboard: ${scores.problem}.`);
      structured.eval = { problem: scores.problem };
    } else if (scores) {
      lines.push(scoreboardSummary(scores.board));
      structured.eval = evalReport(scores.board);
    }
    const advice = deps.advice?.rows() ?? [];
    if (advice.length > 0) {
      lines.push(adviceSummary(advice));
      structured.advice = advice;
    }
    return { text: lines.join('\n'), structured };
  },
});

/** How TDD advice turned out in real use since the server started, per skill and model. */
export function adviceSummary(rows: AdviceCount[]): string {
  const lines = ["TDD advice that worked, as the next step's test_output showed (since the server started):"];
  for (const skill of [...new Set(rows.map((row) => row.skill))]) {
    const models = rows.filter((row) => row.skill === skill).map(({ model, worked, failed }) => `${model} ${Math.round((worked / (worked + failed)) * 100)}% (${worked}/${worked + failed})`);
    lines.push(`- ${skill}: ${models.join(', ')}`);
  }
  return lines.join('\n');
}

/** The latest `supervisor eval` scoreboard in a few lines: its date, then each skill's models, best first. */
export function scoreboardSummary(board: Scoreboard): string {
  const lines = [`Scoreboard of ${board.date.slice(0, 16).replace('T', ' ')} UTC (supervisor eval, ${board.results.length} case runs):`];
  for (const skill of board.skills) {
    const scores = board.scores.filter((s) => s.skill === skill).sort((a, b) => b.rate - a.rate);
    lines.push(`- ${skill}: ${scores.map((s) => `${s.model} ${Math.round(s.rate * 100)}% (${s.passed}/${s.total})`).join(', ')}`);
  }
  return lines.join('\n');
}

/** What structuredContent carries of the scoreboard: per model and skill, passed, failed and rate. */
function evalReport(board: Scoreboard) {
  return { date: board.date, scores: board.scores.map(({ model, skill, passed, failed, rate, interval }) => ({ model, skill, passed, failed, rate, interval })) };
}
