/**
 * LITELLM_BASE_URL pointed straight at Ollama (docs/models.md): the consulting tools answer through
 * its OpenAI-compatible routes with no API key, models keep their Ollama names (`qwen2.5-coder:14b`,
 * `llama3.2` for `llama3.2:latest`), prompts are fitted to the context Ollama really runs a model
 * with (it cuts a longer prompt silently, the discipline first), and an unknown model's error says
 * what to do. The fake Ollama (support/fake-ollama.ts) answers as Ollama does.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestionConfig } from '../ingestion/config.js';
import { supervisorConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startSupervisor, type RunningSupervisor } from '../src/serve.js';
import { FIXTURE_CONFIG_DIR, fixtureDiscipline } from './support/fixture-config.js';
import { startFakeOllama, type FakeOllama } from './support/fake-ollama.js';

const CODER = 'qwen2.5-coder:14b';
const SMALL = 'llama3.2';
const MISSING = 'qwen9:7b';
const NO_SHIFT = 'deepseek-coder-v2:16b';

// No window for CODER: Ollama's num_ctx (4096) must win over default_context_window (8192).
// SMALL is declared larger than the context Ollama has it loaded with.
const MODELS_YAML = `
default_chain: [${CODER}]
skills:
  spec:
    chain: [${MISSING}, ${CODER}]
  debug:
    chain: [${MISSING}]
default_context_window: 8192
models:
  ${SMALL}: { context_window: 32768 }
`;

interface Result {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

const textOf = (result: Result) => result.content.map((c) => c.text ?? '').join('\n');

describe('supervisor pointed straight at Ollama', () => {
  let ollama: FakeOllama;
  let running: RunningSupervisor;
  let client: Client;
  let dir: string;
  let logged = '';

  beforeAll(async () => {
    ollama = await startFakeOllama({
      models: {
        [CODER]: { numCtx: 4096, trainedContext: 32768 },
        [`${SMALL}:latest`]: { trainedContext: 131072, loadedContext: 2048 },
        // Not loaded and no num_ctx of its own: it runs with Ollama's default context, which no route tells.
        [NO_SHIFT]: { trainedContext: 163840, contextShift: false },
      },
    });
    dir = await mkdtemp(join(tmpdir(), 'supervisor-ollama-'));
    await writeFile(join(dir, 'models.yaml'), MODELS_YAML);
    const env = {
      SUPERVISOR_PORT: '0',
      INGEST_PORT: '0',
      SUPERVISOR_BRAIN_DIR: join(dir, 'brain'),
      SUPERVISOR_CONFIG_DIR: FIXTURE_CONFIG_DIR,
      SUPERVISOR_MODELS_FILE: join(dir, 'models.yaml'),
      // Ollama's address as given in its docs, /v1 and all; no LITELLM_API_KEY: Ollama needs none.
      LITELLM_BASE_URL: `${ollama.url}/v1/`,
      SUPERVISOR_MODEL_TIMEOUT_SECONDS: '5',
    };
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk);
        done();
      },
    });
    running = await startSupervisor(supervisorConfig(env), ingestionConfig(env), createLogger('info', sink));
    await running.ingestion?.loaded;
    client = new Client({ name: 'ollama-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(running.mcpUrl)));
  });
  afterAll(async () => {
    await client?.close();
    await running?.close();
    await ollama?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as Result;

  it("review answers through Ollama's streamed chat completions, named by the Ollama model that answered, with its token counts", async () => {
    const result = await call('review', { project_root: '/work/shop', files: ['src/cart.ts'], attachments: [{ path: 'src/cart.ts', content: 'export const total = (items) => items.reduce((s, i) => s + i.price, 0);\n' }] });

    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain(`${CODER} read`);
    expect(result.structuredContent).toMatchObject({ model: CODER, attempts: [{ model: CODER, outcome: 'ok' }] });
    const request = ollama.chats.at(-1)!;
    expect(request).toMatchObject({ model: CODER, stream: true, cut: false });
    expect((result.structuredContent!.usage as { prompt_tokens: number }).prompt_tokens).toBe(Math.ceil(request.seen.length / 4));
  });

  it('fits prompts to the num_ctx Ollama runs a model with, so a large file is shortened by supervisor and the discipline reaches the model whole', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => `export const line${i} = ${i}; // padding to make the file far larger than the window`).join('\n');
    const result = await call('review', { project_root: '/work/shop', files: ['src/big.ts'], attachments: [{ path: 'src/big.ts', content: big }] });

    expect(result.isError).toBeFalsy();
    const request = ollama.chats.at(-1)!;
    expect(request.cut).toBe(false);
    expect(request.seen).toContain((await fixtureDiscipline('review')).trim());
    expect(result.structuredContent!.cut).toMatchObject({ truncated: ['src/big.ts'] });
    expect(ollama.routes).toEqual(expect.arrayContaining(['POST /api/show', 'GET /api/ps']));
  });

  it("uses Ollama's smaller loaded context over a larger window in models.yaml, warns at start, and finds llama3.2 listed as llama3.2:latest", async () => {
    expect(logged).toContain(`models.yaml gives ${SMALL} a context window of 32768 tokens but Ollama runs it with 2048 (num_ctx): prompts are fitted to 2048`);
    const big = 'const padding = "x";\n'.repeat(2000);
    const result = await call('review', { project_root: '/work/shop', files: ['src/pad.ts'], attachments: [{ path: 'src/pad.ts', content: big }], model: SMALL });

    expect(result.structuredContent).toMatchObject({ model: SMALL });
    const request = ollama.chats.at(-1)!;
    expect(request).toMatchObject({ model: SMALL, cut: false });
    expect(request.seen).toContain((await fixtureDiscipline('review')).trim());
  });

  it('asks a model Ollama refuses a too-long prompt for (no context shift) once more, with the prompt fitted to half the window', async () => {
    const big = 'const padding = "x";\n'.repeat(2000);
    const result = await call('review', { project_root: '/work/shop', files: ['src/pad.ts'], attachments: [{ path: 'src/pad.ts', content: big }], model: NO_SHIFT });

    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      model: NO_SHIFT,
      attempts: [
        { model: NO_SHIFT, outcome: 'context_exceeded', status: 400 },
        { model: NO_SHIFT, outcome: 'ok', refit_window: 4096 },
      ],
    });
    expect(ollama.chats.at(-1)!.seen).toContain((await fixtureDiscipline('review')).trim());
  });

  it("moves past a model Ollama has not pulled (404 not_found_error) to the next of the chain", async () => {
    const result = await call('spec', { project_root: '/work/shop', requirements: 'Totals in integer cents.' });

    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      model: CODER,
      attempts: [
        { model: MISSING, outcome: 'not_found', status: 404, detail: `model '${MISSING}' not found` },
        { model: CODER, outcome: 'ok' },
      ],
    });
  });

  it("says, when no model of the chain is pulled, which one Ollama lacks and to pull it", async () => {
    const result = await call('debug', { project_root: '/work/shop', error: 'TypeError: items is undefined' });

    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`${MISSING}: 404 model '${MISSING}' not found`);
    expect(textOf(result)).toContain('`ollama pull` the model and name it as `ollama list` shows it');
  });

  it("status lists the models Ollama has (GET /v1/models) and names the models.yaml entries it lacks", async () => {
    const result = await call('status', {});

    expect(result.structuredContent).toMatchObject({
      litellm: { reachable: true, models_served: [CODER, `${SMALL}:latest`, NO_SHIFT], models_missing: expect.arrayContaining([MISSING]) },
    });
    // Named as what answers, and what to do said in Ollama's terms.
    expect(textOf(result)).toMatch(/^Ollama at http:\/\/127\.0\.0\.1:\d+\/v1\/: reachable/);
    expect(textOf(result)).toContain(`not served: ${MISSING} (\`ollama pull\` them`);
  });
});
