/**
 * How long a consulting call may wait on its models at most: what Claude Code's MCP tool timeout
 * (MCP_TOOL_TIMEOUT) must exceed, or Claude Code gives up on a call the chain is still working on.
 * Each model try is bounded by SUPERVISOR_MODEL_TIMEOUT_SECONDS (ChainClient's `timeoutMs`, the whole
 * answer included) and the chain asks its models one after the other. A model that refuses a prompt
 * as too large does so before generating, in well under a second: its second try with a smaller
 * prompt is counted as its one try. The brain search and the prompt's assembly are not counted
 * either: they take milliseconds.
 */
import { PANEL_SIZE } from '../consult/panel.js';
import type { ModelsConfig } from './models.js';

/** A chain of `chainLength` models, each timing out at the end of its try before the next is asked. */
export function chainWorstCaseMs(chainLength: number, timeoutMs: number): number {
  return chainLength * timeoutMs;
}

/**
 * A panel of `panelSize` models (review, debug): all asked at once, each alone (at most one try's
 * time, src/consult/panel.ts), then a merge along the models that answered, in turn.
 */
export function panelWorstCaseMs(panelSize: number, timeoutMs: number): number {
  return timeoutMs + chainWorstCaseMs(panelSize, timeoutMs);
}

/** The consulting tools, by the chain they ask (models.yaml: the tool's key, else its family's) and how often in a row. */
const CONSULTATIONS: readonly { tool: string; family: string; calls: number; panel: boolean }[] = [
  { tool: 'tdd_red', family: 'tdd', calls: 1, panel: false },
  { tool: 'tdd_green', family: 'tdd', calls: 1, panel: false },
  { tool: 'tdd_refactor', family: 'tdd', calls: 1, panel: false },
  { tool: 'review', family: 'review', calls: 1, panel: true },
  { tool: 'debug', family: 'debug', calls: 1, panel: true },
  { tool: 'spec', family: 'spec', calls: 1, panel: false },
  { tool: 'retrospective', family: 'retrospective', calls: 1, panel: false },
  // The reader finds the learning moments, then the writer drafts the entries: two chains in a row.
  { tool: 'trainer', family: 'trainer', calls: 2, panel: false },
];

export interface ConsultWorstCase {
  tool: string;
  /** The models the tool asks, in order (models.yaml). */
  chain: string[];
  /** Every model of the chain timing out, for each of the tool's calls in a row. */
  ms: number;
  /** With `panel` (review, debug): the largest panel (PANEL_SIZE.max models) answering at the last moment and merged by each in turn. */
  panelMs?: number;
}

/** Each consulting tool's worst case under models.yaml's chains and the per-model timeout. */
export function consultWorstCases(models: Pick<ModelsConfig, 'chainFor'>, timeoutMs: number): ConsultWorstCase[] {
  return CONSULTATIONS.map(({ tool, family, calls, panel }) => {
    const chain = models.chainFor(tool, family);
    const worst: ConsultWorstCase = { tool, chain, ms: calls * chainWorstCaseMs(chain.length, timeoutMs) };
    if (panel) worst.panelMs = panelWorstCaseMs(PANEL_SIZE.max, timeoutMs);
    return worst;
  });
}

/** The consulting tool that may wait longest without a panel: the least MCP_TOOL_TIMEOUT must exceed. */
export function longestConsultation(models: Pick<ModelsConfig, 'chainFor'>, timeoutMs: number): ConsultWorstCase {
  return consultWorstCases(models, timeoutMs).reduce((longest, next) => (next.ms > longest.ms ? next : longest));
}
