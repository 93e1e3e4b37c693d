/**
 * A panel: `review` and `debug` may ask several models the same question at once and have one of
 * them merge the answers. The answers go to the merger without names and in a random order, so it
 * weighs what was said, not who said it (nor its own answer first); agreements come first and
 * disagreements are named as such. A panel costs the time of its first answer, at most as long again
 * for the others, and one merge: a model that is still thinking by then is left out, not waited for.
 */
import { randomInt } from 'node:crypto';
import { CallRefused } from '../errors.js';
import { CallStopped, ChainFailed, type Attempt, type ChatMessage, type Completion } from '../llm/chain.js';
import type { Deps } from '../deps.js';
import { estimateTokens, type Task } from './prompt.js';
import type { PanelReport } from '../../common/consultation-contract.js';

export type { PanelReport };

/** How many models a panel may ask: each is a full consultation of the model server's time. */
export const PANEL_SIZE = { min: 2, max: 5 } as const;

/** The models a call's `panel` argument names: its list, or `true` for the tool's chain (the first PANEL_SIZE.max). */
export function panelModels(deps: Pick<Deps, 'models'>, tool: string, family: string, panel: true | string[], model: string | undefined): string[] {
  if (model !== undefined) throw new CallRefused('give model or panel, not both: panel names its own models');
  const models = panel === true ? deps.models.chainFor(tool, family).slice(0, PANEL_SIZE.max) : [...new Set(panel)];
  if (models.length < PANEL_SIZE.min) {
    throw new CallRefused(
      panel === true
        ? `panel: true asks the ${tool} chain's models, and models.yaml gives it ${models.length}; name ${PANEL_SIZE.min}–${PANEL_SIZE.max} models instead (panel: ["a", "b"])`
        : `panel must name ${PANEL_SIZE.min}–${PANEL_SIZE.max} different models`,
    );
  }
  return models;
}

/** What a panel's answers are merged by: built in, the same for every team, since it judges no content of its own. */
export const MERGE_RULES = `You merge independent answers to one request into the single answer the engineer who asked will read.
The answers are anonymous and in no particular order: weigh what each says and the evidence it gives, never guess who wrote it.

1. Agreements first: what two or more answers say (the same finding, the same cause), stated once, with the best evidence any of them gave.
2. Then what only one answer says, kept only where its evidence holds up, each marked "(one answer)".
3. Then a section "## Disagreements": where answers contradict each other, what each claims and what would settle it. Write "none" when they do not.

Keep the form the request asks for (findings by severity with file:line for a review; hypotheses ranked most likely first, each with a check, for a debug), and keep file names, line numbers and identifiers exactly as given.
Add nothing of your own, and do not mention that there were several answers except in "## Disagreements".`;

/**
 * The least a panel waits for its other answers after the first: "as long again" of a first answer in
 * a few hundred milliseconds would leave out a model only slightly slower.
 */
export const PANEL_MIN_WAIT_MS = 2000;

/** Room kept in the merger's window for its own answer. */
const MERGE_ANSWER_TOKENS = 2048;

export interface PanelCompletion extends Completion {
  panel: PanelReport;
}

export interface PanelRequest {
  models: string[];
  messages: ChatMessage[];
  /** The request the answers were to (labelled fields, attachments by path), for the merger. */
  task: Task;
  /** The merger's context window: the answers are shortened to fit it. */
  mergeWindow: (chain: readonly string[]) => number;
  signal?: AbortSignal | undefined;
  notice?: ((message: string) => void) | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

interface Answered {
  model: string;
  completion: Completion;
}

/**
 * Asks every model of the panel at once, then has the first answering one (in panel order) merge
 * the answers, falling back to the others that answered. One answer alone is returned as it is;
 * none at all fails as a chain fails (ChainFailed, with every attempt).
 */
export async function askPanel(deps: Pick<Deps, 'llm'>, request: PanelRequest): Promise<PanelCompletion> {
  const started = performance.now();
  const { answered, attempts, failed } = await gather(deps, request, started);
  if (request.signal?.aborted) throw new ChainFailed(request.signal.reason instanceof CallStopped ? request.signal.reason.message : 'the call was cancelled', attempts, true);
  const inOrder = request.models.flatMap((model) => answered.filter((a) => a.model === model));
  const report = (merged_by: string | null, extra: Partial<PanelReport> = {}): PanelReport => ({ models: request.models, answered: inOrder.map((a) => a.model), merged_by, failed, ...extra });
  if (inOrder.length === 0) {
    throw new ChainFailed(`no model of the panel answered: ${failed.map((f) => `${f.model} (${f.reason})`).join(', ')}`, attempts, false);
  }
  const elapsed = () => Math.round(performance.now() - started);
  if (inOrder.length === 1) {
    const only = inOrder[0]!;
    request.notice?.(`only ${only.model} of the panel answered: its answer is given unmerged`);
    return { ...only.completion, attempts, usage: sumUsage(answered.map((a) => a.completion)), durationMs: elapsed(), panel: report(null) };
  }

  const mergeChain = inOrder.map((a) => a.model);
  request.onProgress?.(`${inOrder.length} of ${request.models.length} panel answers in; ${mergeChain[0]} merges them`);
  try {
    const merged = await deps.llm.complete(mergeChain, {
      messages: mergeMessages(request.task, shuffled(inOrder.map((a) => a.completion.text)), request.mergeWindow(mergeChain)),
      signal: request.signal,
      onFallback: (attempt, next) => request.notice?.(`the merge by ${attempt.model} failed (${attempt.detail ?? attempt.outcome}); ${next} merges instead`),
    });
    return {
      text: merged.text,
      model: merged.model,
      attempts: [...attempts, ...merged.attempts],
      usage: sumUsage([...answered.map((a) => a.completion), merged]),
      durationMs: elapsed(),
      panel: report(merged.model),
    };
  } catch (error) {
    if (!(error instanceof ChainFailed) || error.cancelled) throw error;
    // The answers are worth more than their merge: the first one stands in, said as such.
    const first = inOrder[0]!;
    const reason = error.attempts.map((a) => `${a.model} ${a.status ?? a.outcome}`).join(', ');
    request.notice?.(`no panel model could merge the answers (${reason}): ${first.model}'s answer is given unmerged`);
    return {
      ...first.completion,
      attempts: [...attempts, ...error.attempts],
      usage: sumUsage(answered.map((a) => a.completion)),
      durationMs: elapsed(),
      panel: report(null, { merge_failed: reason }),
    };
  }
}

/** The panel's answers: each model asked alone (no fallback within a panel), stragglers cut off at twice the first answer's time. */
async function gather(deps: Pick<Deps, 'llm'>, request: PanelRequest, started: number) {
  const answered: Answered[] = [];
  const attempts: Attempt[] = [];
  const failed: PanelReport['failed'] = [];
  const cutOff = new AbortController();
  let cutOffTimer: NodeJS.Timeout | undefined;
  const signal = request.signal ? AbortSignal.any([request.signal, cutOff.signal]) : cutOff.signal;
  await Promise.all(
    request.models.map(async (model) => {
      try {
        const completion = await deps.llm.complete([model], { messages: request.messages, signal });
        attempts.push(...completion.attempts);
        answered.push({ model, completion });
        if (cutOffTimer === undefined) {
          const firstMs = performance.now() - started;
          const waitMs = Math.max(firstMs, PANEL_MIN_WAIT_MS);
          cutOffTimer = setTimeout(() => cutOff.abort(new CallStopped(`did not answer within ${Math.round(firstMs + waitMs)} ms`)), waitMs);
        }
        request.onProgress?.(`${answered.length} of ${request.models.length} panel answers in`);
      } catch (error) {
        if (!(error instanceof ChainFailed)) throw error;
        attempts.push(...error.attempts);
        const last = error.attempts.at(-1);
        const tooSlow = error.cancelled && cutOff.signal.aborted && !request.signal?.aborted;
        failed.push({ model, reason: tooSlow ? 'too_slow' : (last?.status ? `${last.outcome} ${last.status}` : (last?.outcome ?? 'failed')) });
      }
    }),
  );
  clearTimeout(cutOffTimer);
  return { answered, attempts, failed };
}

/** The merger's prompt: the rules, the request in short, and the answers, each shortened to its share of the window. */
function mergeMessages(task: Task, answers: string[], window: number): ChatMessage[] {
  const request = [
    `Phase: ${task.phase}`,
    ...task.fields.map(([label, value]) => `${label}: ${value.length > 2000 ? `${value.slice(0, 2000)}…` : value}`),
    ...(task.attachments.length > 0 ? [`Code shown: ${task.attachments.map((a) => a.path).join(', ')}`] : []),
  ].join('\n');
  const room = window - estimateTokens(MERGE_RULES) - estimateTokens(request) - MERGE_ANSWER_TOKENS - 64 * answers.length;
  // estimateTokens counts about 3 characters a token for code and prose alike (prompt.ts); a share below
  // 500 characters would merge nothing, so the floor keeps the merge possible and the model says if it does not fit.
  const share = Math.max(500, Math.floor((room * 3) / answers.length));
  const shown = answers.map((text, i) => `## Answer ${i + 1}\n\n${text.length > share ? `${text.slice(0, share)}\n\n[shortened to fit]` : text}`);
  return [
    { role: 'system', content: MERGE_RULES },
    { role: 'user', content: `The request:\n${request}\n\n${shown.join('\n\n')}\n\nMerge these ${answers.length} answers.` },
  ];
}

/** A uniformly random order (Fisher–Yates): no position tells the merger which answer is whose. */
function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

function sumUsage(completions: Completion[]): Completion['usage'] {
  const usages = completions.map((c) => c.usage).filter((u) => u !== null);
  if (usages.length === 0) return null;
  return { prompt_tokens: usages.reduce((n, u) => n + u.prompt_tokens, 0), completion_tokens: usages.reduce((n, u) => n + u.completion_tokens, 0) };
}
