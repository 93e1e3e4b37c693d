import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePrompt } from '../src/dev/describe-prompt.js';
import { runCli, spawnCli } from './support/cli.js';
import { MODELS } from './support/fixture-config.js';
import { freePort } from './support/ports.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';
import { waitFor } from './support/wait.js';

let sup: TestSupervisor;
beforeAll(async () => {
  sup = await startTestSupervisor({}, { answer: { kind: 'answer', text: describePrompt } });
  await sup.deps.brain.write({ title: 'Cart totals use integer cents', content: 'Sum prices in integer cents to avoid float drift in the cart.' });
});
afterAll(async () => {
  await sup.stop();
});

describe('the fake model server for a first run without a GPU', () => {
  it('answers every tool by describing the discipline, knowledge, history and code it received', async () => {
    const client = await sup.connect();
    await client.callTool({ name: 'debug', arguments: { project_root: '/p', error: 'cart total is off by a cent' } });
    const result = await client.callTool({
      name: 'review',
      arguments: { project_root: '/p', files: ['src/cart.ts'], context: 'cart prices', attachments: [{ path: 'src/cart.ts', content: 'export const total = 1;' }] },
    });
    const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
    expect(text.startsWith(`**Fake model ${MODELS.primary}**: no real model was asked`)).toBe(true);
    expect(text).toContain('- **Discipline**: Test protocols · Test discipline: review');
    expect(text).toContain('- **Relevant knowledge**: Cart totals use integer cents (`cart-totals-use-integer-cents.md`)');
    expect(text).toMatch(/- \*\*Session history\*\*: 1 earlier call\(s\), latest: .* debug \(debug\) ok/);
    expect(text).toMatch(/- \*\*Task\*\*: phase review; code attached: src\/cart\.ts/);
  });
});

describe('supervisor fake-llm, the command', () => {
  it('a port in use is named with the setting it came from and what to do, exit code 1', async () => {
    const taken = createServer();
    const port = await new Promise<number>((listening) => taken.listen(0, '127.0.0.1', () => listening((taken.address() as { port: number }).port)));
    try {
      const fromEnv = await runCli(['fake-llm'], { FAKE_LLM_PORT: String(port) });
      expect(fromEnv.code).toBe(1);
      expect(fromEnv.stderr).toBe(
        `supervisor: port ${port} (FAKE_LLM_PORT) is already in use on 127.0.0.1: a LiteLLM, or a fake-llm started before? ` +
          `Stop it, or choose another port: supervisor fake-llm --port ${port + 1} (or FAKE_LLM_PORT=${port + 1}), ` +
          `and point supervisor at it: LITELLM_BASE_URL=http://127.0.0.1:${port + 1}\n`,
      );
      const fromArgument = await runCli(['fake-llm', '--port', String(port)], { FAKE_LLM_PORT: '' });
      expect(fromArgument.code).toBe(1);
      expect(fromArgument.stderr).toMatch(new RegExp(`^supervisor: port ${port} \\(--port\\) is already in use`));
    } finally {
      await new Promise((closed) => taken.close(closed));
    }
  });

  it('--port N listens on N (over FAKE_LLM_PORT) and says how to point supervisor at it', async () => {
    const port = await freePort();
    const fake = spawnCli(['fake-llm', '--port', String(port)], { FAKE_LLM_PORT: '1' });
    await waitFor(() => fake.stderr().includes('Ctrl-C to stop'), 'the fake model server starting');
    expect(fake.stderr()).toContain(`fake model server (no real model) at http://127.0.0.1:${port}:`);
    expect(fake.stderr()).toContain(`Point supervisor at it: LITELLM_BASE_URL=http://127.0.0.1:${port} npm start.`);
    const models = await fetch(`http://127.0.0.1:${port}/v1/models`);
    expect(models.ok).toBe(true);
    expect((await fake.stop()).code).toBe(0);
  });

  it('an argument it does not take is refused with exit code 2, not ignored', async () => {
    const unknown = await runCli(['fake-llm', '--prot', '4001']);
    expect(unknown).toMatchObject({ code: 2, stdout: '', stderr: 'supervisor: fake-llm takes only --port N (or FAKE_LLM_PORT); "--prot" is not an option of it\n' });
    const noNumber = await runCli(['fake-llm', '--port', 'x']);
    expect(noNumber).toMatchObject({ code: 2, stderr: 'supervisor: --port must be a port number, 0 to 65535 (got "x")\n' });
  });
});
