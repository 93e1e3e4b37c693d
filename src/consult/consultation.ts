/**
 * One model call with its full context, the same for every consulting tool: discipline + brain notes +
 * session history + task, fitted to the model's window and sent down the model chain. It does not log:
 * the tool's session entry (session-entry.ts) covers the whole call.
 */
import type { Deps } from '../deps.js';
import type { SessionEntry } from '../session/log.js';
import { assemblePrompt, estimateTokens, MAX_HISTORY_ENTRIES, refitWindow, type Prompt, type Task } from './prompt.js';
import type { Discipline } from './disciplines.js';
import { findKnowledge } from './knowledge.js';
import { askPanel } from './panel.js';
import type { Completion } from '../llm/chain.js';

export interface CallContext {
  sessionId: string;
  /** The server minted `sessionId` for this call: the caller passes it on to later calls. */
  sessionStarted?: boolean | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((message: string) => void) | undefined;
  /** Tells the client what is happening that it would otherwise only see at the end (a fallback). */
  notice?: ((message: string) => void) | undefined;
}

import type { Consultation } from '../../common/consultation-contract.js';

export type { Consultation };

export interface ConsultationRequest {
  /** The tool, whose models.yaml chain (else its family's) is asked. */
  tool?: string;
  family: string;
  phase: string;
  discipline: Discipline;
  /** Text to find brain notes with (the call's own words). */
  searchText: string;
  task: Task;
  model?: string | undefined;
  /** review / debug: ask these models at once and merge their answers (panel.ts) instead of the chain. */
  panel?: string[] | undefined;
  /** Inject the session history (default). Off when the task already is the session log. */
  withHistory?: boolean;
}

/** The models a request asks, in order: the caller's model, else the tool's models.yaml chain, else its family's. */
export function chainOf(deps: Pick<Deps, 'models'>, request: Pick<ConsultationRequest, 'tool' | 'family' | 'model' | 'panel'>): string[] {
  if (request.panel) return request.panel;
  return request.model ? [request.model] : deps.models.chainFor(request.tool ?? request.family, request.family);
}

/** The smallest context window of a chain: what its prompt is fitted to. */
export const smallestWindow = (deps: Pick<Deps, 'models'>, chain: readonly string[]) => Math.min(...chain.map((model) => deps.models.contextWindow(model)));

/** Throws ChainFailed (src/llm/chain.ts) when no model of the chain answers. */
export async function runConsultation(deps: Deps, request: ConsultationRequest, context: CallContext): Promise<Consultation> {
  const chain = chainOf(deps, request);
  const [protocols, rules, found, history] = await Promise.all([
    deps.disciplines.text('protocols'),
    deps.disciplines.text(request.discipline),
    findKnowledge(deps, request.searchText, context.signal),
    request.withHistory === false ? [] : recentHistory(deps, context.sessionId, request.phase),
  ]);
  const fit = (contextWindow: number) =>
    assemblePrompt({ protocols, discipline: rules, knowledge: found.hits, history, task: request.task, contextWindow });
  const assumedWindow = smallestWindow(deps, chain);
  const firstPrompt = fit(assumedWindow);
  // Prompts fitted again after a model said the first did not fit its window, by that window.
  const refitted = new Map<number, Prompt>();
  const progress = context.onProgress;
  logPromptSize(deps, request, context, firstPrompt, assumedWindow);
  if (request.panel) {
    const answer = await askPanel(deps, {
      models: request.panel,
      messages: messagesOf(firstPrompt),
      task: request.task,
      mergeWindow: (models) => smallestWindow(deps, models),
      signal: context.signal,
      notice: context.notice,
      onProgress: progress,
    });
    return { ...consultationOf(answer, firstPrompt, found.status, request, context), panel: answer.panel };
  }
  const completion = await deps.llm.complete(chain, {
    messages: messagesOf(firstPrompt),
    signal: context.signal,
    onProgress: progress && ((chars) => progress(`${chars} characters received`)),
    onWaiting: progress && ((model, waitedMs, timeoutMs) => progress(waitingMessage(model, waitedMs, timeoutMs))),
    refit: (model, reported) => {
      const window = refitWindow(assumedWindow, reported);
      if (window === null) return null;
      const prompt = refitted.get(window) ?? fit(window);
      refitted.set(window, prompt);
      context.notice?.(`${model} said the prompt exceeds its context window; asking it again with the prompt fitted to ${window} tokens`);
      return { messages: messagesOf(prompt), window };
    },
    onFallback: (failed, next) =>
      context.notice?.(`${failed.model} failed (${failed.status ? `${failed.status} ` : ''}${failed.detail ?? failed.outcome}); asking ${next}`),
  });
  // What was cut is what the answering model was sent: the refitted prompt when it answered to that.
  const answeredWindow = completion.attempts.at(-1)?.refit_window;
  const prompt = (answeredWindow !== undefined && refitted.get(answeredWindow)) || firstPrompt;
  return consultationOf(completion, prompt, found.status, request, context);
}

function consultationOf(completion: Completion, prompt: Prompt, brain: string, request: ConsultationRequest, context: CallContext): Consultation {
  return {
    text: completion.text,
    model: completion.model,
    duration_ms: completion.durationMs,
    attempts: completion.attempts,
    knowledge: prompt.knowledgeUsed.map((hit) => hit.path),
    session_id: context.sessionId,
    phase: request.phase,
    brain,
    cut: prompt.cut,
    usage: completion.usage,
  };
}

const messagesOf = (prompt: Prompt) => [
  { role: 'system' as const, content: prompt.system },
  { role: 'user' as const, content: prompt.user },
];

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** "asking X (gives up after 120 s)", then "waiting for X: 10 s so far, no answer yet (gives up after 120 s)". */
function waitingMessage(model: string, waitedMs: number, timeoutMs: number): string {
  const limit = `gives up after ${seconds(timeoutMs)}`;
  return waitedMs === 0 ? `asking ${model} (${limit})` : `waiting for ${model}: ${seconds(waitedMs)} so far, no answer yet (${limit})`;
}

/**
 * The session so far: its newest entries of other phases (a second `review` does not see the first),
 * as many as the prompt shows. A log that cannot be read (its folder broken) costs the call its
 * history, not its answer; an entry that cannot be written is reported beside the answer (session-entry.ts).
 */
async function recentHistory(deps: Pick<Deps, 'sessions' | 'logger'>, sessionId: string, phase: string): Promise<SessionEntry[]> {
  try {
    return await deps.sessions.recent(sessionId, { limit: MAX_HISTORY_ENTRIES, skipPhase: phase });
  } catch (error) {
    deps.logger.error({ err: error, session_id: sessionId }, 'cannot read the session log; answering without history');
    return [];
  }
}

/** LOG_LEVEL=debug: how big each prompt was against its window, and what was cut to fit. */
function logPromptSize(deps: Pick<Deps, 'logger'>, request: ConsultationRequest, context: CallContext, prompt: { system: string; user: string; cut: unknown }, window: number): void {
  const tokens = estimateTokens(prompt.system) + estimateTokens(prompt.user);
  deps.logger.debug(
    { tool: request.tool ?? request.family, session: context.sessionId, system_chars: prompt.system.length, user_chars: prompt.user.length, estimated_tokens: tokens, context_window: window, cut: prompt.cut },
    `prompt for ${request.tool ?? request.family}: ${prompt.system.length + prompt.user.length} characters, ~${tokens} tokens of a ${window}-token window`,
  );
}
