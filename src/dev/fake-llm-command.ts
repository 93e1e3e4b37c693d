/**
 * `supervisor fake-llm [--port N]` (`npm run fake-llm`): an OpenAI-compatible server on port 4000 —
 * where LITELLM_BASE_URL points by default — that answers every model by describing the prompt it got,
 * and lists the models of models.yaml (SUPERVISOR_MODELS_FILE, as `supervisor serve` reads it) at
 * /v1/models, so `status` finds every configured model served. The port: `--port`, else FAKE_LLM_PORT.
 */
import { join } from 'node:path';
import { ConfigError } from '../../common/env.js';
import { packageRoot } from '../config.js';
import { loadModels } from '../llm/models.js';
import { startFakeLiteLlm } from './fake-litellm.js';
import { describePrompt } from './describe-prompt.js';

const DEFAULT_PORT = 4000;

export async function runFakeLlm(env: Record<string, string | undefined>, args: readonly string[] = []): Promise<void> {
  const { port, from } = portOf(env, args);
  const modelsFile = env.SUPERVISOR_MODELS_FILE || join(packageRoot(), 'config', 'models.yaml');
  const catalogue = (await loadModels(modelsFile)).allModels();
  const llm = await startFakeLiteLlm({ port, catalogue, answer: { kind: 'answer', text: describePrompt, chunks: 8, delayMs: 400 } }).catch((error: unknown) => {
    throw (error as NodeJS.ErrnoException)?.code === 'EADDRINUSE' ? new Error(portTaken(port, from)) : error;
  });
  const pointAt = port === DEFAULT_PORT ? '' : ` Point supervisor at it: LITELLM_BASE_URL=${llm.url} npm start.`;
  console.error(
    `fake model server (no real model) at ${llm.url}: lists the ${catalogue.length} models of ${modelsFile}; ` +
      `every model answers by describing its prompt.${pointAt} Ctrl-C to stop.`,
  );
  const stop = () => void llm.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The port asked for and where it was asked; an argument it does not take is refused (exit 2), not ignored. */
function portOf(env: Record<string, string | undefined>, args: readonly string[]): { port: number; from: string } {
  let given: { value: string | undefined; from: string } = { value: env.FAKE_LLM_PORT, from: 'FAKE_LLM_PORT' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--port') given = { value: args[++i], from: '--port' };
    else if (arg.startsWith('--port=')) given = { value: arg.slice('--port='.length), from: '--port' };
    else throw new ConfigError(`fake-llm takes only --port N (or FAKE_LLM_PORT); "${arg}" is not an option of it`);
  }
  if (given.value === undefined || given.value === '') {
    if (given.from === '--port') throw new ConfigError('--port needs a port number: supervisor fake-llm --port 4001');
    return { port: DEFAULT_PORT, from: 'the default' };
  }
  const port = Number(given.value);
  if (!/^\d+$/.test(given.value) || port > 65535) throw new ConfigError(`${given.from} must be a port number, 0 to 65535 (got "${given.value}")`);
  return { port, from: given.from };
}

/**
 * Port 4000 taken is most often a LiteLLM already there (the fake is then not needed), or a fake
 * started before. The other port is a setting of this command, and supervisor must be told of it.
 */
function portTaken(port: number, from: string): string {
  const other = port === DEFAULT_PORT ? DEFAULT_PORT + 1 : port + 1;
  return (
    `port ${port} (${from}) is already in use on 127.0.0.1: a LiteLLM, or a fake-llm started before? ` +
    `Stop it, or choose another port: supervisor fake-llm --port ${other} (or FAKE_LLM_PORT=${other}), ` +
    `and point supervisor at it: LITELLM_BASE_URL=http://127.0.0.1:${other}`
  );
}
