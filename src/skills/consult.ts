/**
 * One consultation, the same for every skill: discipline + brain notes + session history + task,
 * fitted to the model, sent down the model chain, and logged to the session.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { queryTerms } from '../../ingestion/query-terms.js';
import type { SearchHit } from '../../ingestion/search-index.js';
import { BrainUnavailable, type BrainClient } from '../brain/client.js';
import { ConfigError } from '../config.js';
import { ChainFailed, type Attempt, type ChainClient, type Usage } from '../llm/chain.js';
import type { ModelsConfig } from '../llm/models.js';
import type { SessionEntry, SessionLog } from '../session/log.js';
import { collectAttachments, type AttachmentReport } from './attach.js';
import { assemblePrompt, type Task, type WhatWasCut } from './prompt.js';
import type { Args, ConsultingSkill } from './skill.js';

export const DISCIPLINES = ['protocols', 'tdd', 'review', 'debug', 'spec', 'retrospective', 'trainer-reader', 'trainer-writer'] as const;
export type Discipline = (typeof DISCIPLINES)[number];

export interface ConsultDeps {
  llm: ChainClient;
  models: ModelsConfig;
  brain: BrainClient;
  sessions: SessionLog;
  configDir: string;
  projectRoots: string[];
  logger: Logger;
}

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

/** A consultation that failed: the message says what and what to do; attempts say how. */
export class ConsultationFailed extends Error {
  constructor(
    message: string,
    readonly attempts: Attempt[],
  ) {
    super(message);
  }
}

/** Checks at start that every discipline file is there, so a missing one is not found mid-session. */
export async function checkDisciplines(configDir: string): Promise<void> {
  for (const name of DISCIPLINES) {
    await readFile(join(configDir, `${name}.md`), 'utf8').catch(() => {
      throw new ConfigError(`SUPERVISOR_CONFIG_DIR ${configDir} has no ${name}.md`);
    });
  }
}

const disciplineCache = new Map<string, { mtimeMs: number; text: string }>();

/** Checked on every call (one stat), so an operator's edit applies to the next call without a restart. */
async function discipline(configDir: string, name: Discipline): Promise<string> {
  const file = join(configDir, `${name}.md`);
  const { mtimeMs } = await stat(file);
  const cached = disciplineCache.get(file);
  if (cached?.mtimeMs === mtimeMs) return cached.text;
  const text = await readFile(file, 'utf8');
  disciplineCache.set(file, { mtimeMs, text });
  return text;
}

export interface ConsultationRequest {
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

/** Runs one model call with its full context. Does not log: the caller logs the whole tool call. */
export async function runConsultation(deps: ConsultDeps, request: ConsultationRequest, context: CallContext): Promise<Consultation> {
  const chain = request.model ? [request.model] : deps.models.chainFor(request.family);
  const [protocols, rules, found, log] = await Promise.all([
    discipline(deps.configDir, 'protocols'),
    discipline(deps.configDir, request.discipline),
    searchBrain(deps, request.searchText, context.signal),
    request.withHistory === false ? [] : deps.sessions.recent(context.sessionId),
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
  try {
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
  } catch (error) {
    if (error instanceof ChainFailed) throw new ConsultationFailed(error.message, error.attempts);
    throw error;
  }
}

/** Enough words to find the notes about a task; each further word costs query time at every call. */
const KNOWLEDGE_QUERY_TERMS = 12;

/** The first terms are all a query uses, so only the start of a long text is split into terms. */
const KNOWLEDGE_QUERY_CHARS = 2000;

function firstTerms(text: string, count: number): string {
  return queryTerms(text.slice(0, KNOWLEDGE_QUERY_CHARS)).slice(0, count).join(' ');
}

async function searchBrain(deps: ConsultDeps, text: string, signal?: AbortSignal): Promise<{ hits: SearchHit[]; status: string }> {
  const terms = firstTerms(text, KNOWLEDGE_QUERY_TERMS);
  // Nothing to search with (only common words or symbols): the brain would refuse an empty query.
  if (!terms) return { hits: [], status: 'ok' };
  try {
    return { hits: await deps.brain.search({ query: terms }, signal), status: 'ok' };
  } catch (error) {
    if (!(error instanceof BrainUnavailable)) deps.logger.error({ err: error }, 'brain search failed');
    return { hits: [], status: `unavailable (${(error as Error).message}); answered without knowledge` };
  }
}

/** A consulting skill's call: arguments → task and files → consultation → session entry. */
export async function consult(
  deps: ConsultDeps,
  skill: ConsultingSkill,
  args: Args,
  context: CallContext,
): Promise<Consultation & { files: AttachmentReport[] }> {
  const projectRoot = args.project_root ?? null;
  const attached = await collectAttachments({
    given: args.attachments ?? [],
    named: skill.files?.(args) ?? [],
    projectRoot,
    readableRoots: deps.projectRoots,
  });
  const fields = skill.fields(args);
  const task: Task = { phase: skill.phase, projectRoot, fields, attachments: attached.attachments };
  // The call's own words find knowledge; its code mostly does not (const, return, names) and only
  // makes every query prompt-length and slow, so attachments count by their paths alone.
  const searchText = [...fields.map(([, value]) => value), ...attached.attachments.map((a) => a.path)].join('\n');
  return logged(deps, { skill: skill.name, phase: skill.phase, projectRoot, sessionId: context.sessionId }, async () => ({
    ...(await runConsultation(deps, { family: skill.family, phase: skill.phase, discipline: skill.discipline, searchText, task, model: args.model }, context)),
    files: attached.report,
  }));
}

/** Runs `work` and appends its session entry, whether it answered or failed. */
export async function logged<T extends Consultation>(
  deps: ConsultDeps,
  call: { skill: string; phase: string; projectRoot: string | null; sessionId: string },
  work: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const entry = (fields: Partial<SessionEntry>): SessionEntry => ({
    session_id: call.sessionId,
    timestamp: new Date().toISOString(),
    skill: call.skill,
    phase: call.phase,
    project_root: call.projectRoot,
    final_status: 'ok',
    model_used: null,
    duration_ms: Math.round(performance.now() - started),
    message: '',
    attempts: [],
    usage: null,
    ...fields,
  });
  try {
    const result = await work();
    await deps.sessions.append(
      entry({ model_used: result.model, message: result.text.slice(0, 200), attempts: result.attempts, usage: result.usage }),
    );
    return result;
  } catch (error) {
    const attempts = error instanceof ConsultationFailed ? error.attempts : [];
    // Cancelled by the client or stopped at shutdown: not a failure of the models or of the call.
    const status = attempts.at(-1)?.outcome === 'cancelled' ? 'cancelled' : 'error';
    await deps.sessions
      .append(entry({ final_status: status, message: (error as Error).message.slice(0, 200), attempts }))
      .catch((logError: unknown) => deps.logger.error({ err: logError }, 'cannot write the session log'));
    throw error;
  }
}
