/**
 * One model call with its full context, the same for every consulting tool: discipline + brain notes +
 * session history + task, fitted to the model's window and sent down the model chain. It does not log:
 * the tool's session entry (session-entry.ts) covers the whole call.
 */
import type { Deps } from '../deps.js';
import type { SessionEntry } from '../session/log.js';
import type { Attempt, Usage } from '../llm/chain.js';
import { assemblePrompt, type Task, type WhatWasCut } from './prompt.js';
import type { Discipline } from './disciplines.js';
import { findKnowledge } from './knowledge.js';

export interface CallContext {
  sessionId: string;
  signal?: AbortSignal | undefined;
  onProgress?: ((message: string) => void) | undefined;
  /** Tells the client what is happening that it would otherwise only see at the end (a fallback). */
  notice?: ((message: string) => void) | undefined;
}

export interface Consultation {
  text: string;
  model: string;
  duration_ms: number;
  attempts: Attempt[];
  /** Brain notes given to the model, by path. */
  knowledge: string[];
  session_id: string;
  phase: string;
  /** "ok", or why the call went on without the brain. */
  brain: string;
  cut: WhatWasCut;
  usage: Usage | null;
}

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
  /** Inject the session history (default). Off when the task already is the session log. */
  withHistory?: boolean;
}

/** Throws ChainFailed (src/llm/chain.ts) when no model of the chain answers. */
export async function runConsultation(deps: Deps, request: ConsultationRequest, context: CallContext): Promise<Consultation> {
  const chain = request.model ? [request.model] : deps.models.chainFor(request.tool ?? request.family, request.family);
  const [protocols, rules, found, log] = await Promise.all([
    deps.disciplines.text('protocols'),
    deps.disciplines.text(request.discipline),
    findKnowledge(deps, request.searchText, context.signal),
    request.withHistory === false ? [] : recentHistory(deps, context.sessionId),
  ]);
  const history = log.filter((entry) => entry.phase !== request.phase);
  const prompt = assemblePrompt({
    protocols,
    discipline: rules,
    knowledge: found.hits,
    history,
    task: request.task,
    contextWindow: Math.min(...chain.map((model) => deps.models.contextWindow(model))),
  });
  const completion = await deps.llm.complete(chain, {
    messages: [
      { role: 'system', content: prompt.system },
      { role: 'user', content: prompt.user },
    ],
    signal: context.signal,
    onProgress: context.onProgress && ((chars) => context.onProgress?.(`${chars} characters received`)),
    onFallback: (failed, next) =>
      context.notice?.(`${failed.model} failed (${failed.status ? `${failed.status} ` : ''}${failed.detail ?? failed.outcome}); asking ${next}`),
  });
  return {
    text: completion.text,
    model: completion.model,
    duration_ms: completion.durationMs,
    attempts: completion.attempts,
    knowledge: prompt.knowledgeUsed.map((hit) => hit.path),
    session_id: context.sessionId,
    phase: request.phase,
    brain: found.status,
    cut: prompt.cut,
    usage: completion.usage,
  };
}

/**
 * The session so far; a log that cannot be read (its folder broken) costs the call its history, not
 * its answer; an entry that cannot be written is reported beside the answer (session-entry.ts).
 */
async function recentHistory(deps: Pick<Deps, 'sessions' | 'logger'>, sessionId: string): Promise<SessionEntry[]> {
  try {
    return await deps.sessions.recent(sessionId);
  } catch (error) {
    deps.logger.error({ err: error, session_id: sessionId }, 'cannot read the session log; answering without history');
    return [];
  }
}
