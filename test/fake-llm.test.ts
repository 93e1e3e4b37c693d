import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePrompt } from '../src/dev/describe-prompt.js';
import { MODELS } from './support/fixture-config.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

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
