/**
 * The model server check: LiteLLM answers at LITELLM_BASE_URL (with LITELLM_API_KEY), which models
 * of models.yaml it serves, and how long each served one takes to give a short answer — the time a
 * consultation waits before its first useful token, model load included.
 */
import { errorLine } from '../errors.js';
import { ChainClient, ChainFailed } from '../llm/chain.js';
import type { SupervisorConfig } from '../config.js';
import type { LoadedModels } from '../llm/models.js';
import { duration, ok, problem, type Finding } from './findings.js';

/** How long the model list may take: a proxy that is up answers it at once. */
const LIST_TIMEOUT_MS = 5000;
/** A short answer is enough to show the model loads and answers; more tokens would only time the GPU. */
const SHORT_ANSWER_TOKENS = 16;
const SHORT_QUESTION = 'Reply with the single word: ready';

export interface LiteLlmCheckOptions {
  /** Ask each served model for a short answer and time it (`--no-answers` skips it). */
  timeAnswers: boolean;
  /** How long each short answer may take. */
  answerTimeoutMs: number;
}

export async function checkLiteLlm(config: SupervisorConfig, models: LoadedModels | null, options: LiteLlmCheckOptions): Promise<Finding[]> {
  const where = `LiteLLM at ${config.litellmBaseUrl}`;
  const llm = new ChainClient({ baseUrl: config.litellmBaseUrl, apiKey: config.litellmApiKey, timeoutMs: options.answerTimeoutMs });
  let served: string[];
  try {
    served = await llm.servedModels(LIST_TIMEOUT_MS);
  } catch (error) {
    return [problem(`${where} ${unreachable(error)}`)];
  }
  const findings = [ok(`${where} answers and serves ${served.length} model(s)`)];
  if (!models) return findings;
  const configured = models.allModels();
  const missing = configured.filter((model) => !served.includes(model));
  for (const model of missing) {
    findings.push(problem(`${where} does not serve ${model}, which models.yaml (SUPERVISOR_MODELS_FILE) names: add a model_name ${model} to LiteLLM's config, or take it out of models.yaml`));
  }
  if (missing.length === 0) findings.push(ok(`${where} serves every model of models.yaml (${configured.join(', ')})`));
  if (!options.timeAnswers) return findings;
  // One at a time: models sharing a GPU would otherwise be timed against each other.
  for (const model of configured.filter((m) => served.includes(m))) findings.push(await timeShortAnswer(llm, model, options.answerTimeoutMs));
  return findings;
}

async function timeShortAnswer(llm: ChainClient, model: string, timeoutMs: number): Promise<Finding> {
  try {
    const answer = await llm.complete([model], { messages: [{ role: 'user', content: SHORT_QUESTION }], maxTokens: SHORT_ANSWER_TOKENS });
    return ok(`${model} gave a short answer in ${duration(answer.durationMs)}`);
  } catch (error) {
    if (!(error instanceof ChainFailed)) throw error;
    const attempt = error.attempts[0];
    const more = attempt?.outcome === 'timeout' ? ` (it may still be loading: run doctor again, or allow more with --answer-seconds; now ${duration(timeoutMs)})` : '';
    const status = attempt?.status === undefined ? '' : ` (${attempt.status})`;
    return problem(`${model} gave no short answer${status}: ${attempt?.detail ?? error.message}${more}`);
  }
}

/** Why the model list failed, and what to do about it. */
function unreachable(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  if (status === 401 || status === 403) return `refuses our key (${status}): set LITELLM_API_KEY to the proxy's key`;
  if (typeof status === 'number') return `answers GET /v1/models with ${status}: check that LITELLM_BASE_URL names the proxy (${errorLine(error, 120)})`;
  return `is not reachable (${systemCode(error) ?? errorLine(error, 120)}): start it, or set LITELLM_BASE_URL to where it runs`;
}

/** The system error (ECONNREFUSED, ENOTFOUND) under the client's "Connection error.", a cause or two down. */
function systemCode(error: unknown): string | undefined {
  for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}
