/**
 * `supervisor fake-llm` (`npm run fake-llm`): an OpenAI-compatible server on port 4000 — where
 * LITELLM_BASE_URL points by default — that answers every model by describing the prompt it got, and
 * lists the models of models.yaml (SUPERVISOR_MODELS_FILE, as `supervisor serve` reads it) at
 * /v1/models, so `status` finds every configured model served.
 */
import { join } from 'node:path';
import { packageRoot } from '../config.js';
import { loadModels } from '../llm/models.js';
import { startFakeLiteLlm } from './fake-litellm.js';
import { describePrompt } from './describe-prompt.js';

export async function runFakeLlm(env: Record<string, string | undefined>): Promise<void> {
  const port = Number(env.FAKE_LLM_PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`FAKE_LLM_PORT must be a port number (got "${env.FAKE_LLM_PORT}")`);
  const modelsFile = env.SUPERVISOR_MODELS_FILE || join(packageRoot(), 'config', 'models.yaml');
  const catalogue = (await loadModels(modelsFile)).allModels();
  const llm = await startFakeLiteLlm({ port, catalogue, answer: { kind: 'answer', text: describePrompt, chunks: 8, delayMs: 400 } });
  console.error(
    `fake model server (no real model) at ${llm.url}: lists the ${catalogue.length} models of ${modelsFile}; ` +
      'every model answers by describing its prompt. Ctrl-C to stop.',
  );
  const stop = () => void llm.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
