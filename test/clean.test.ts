/**
 * What the agent gets from a model's raw answer: reasoning and status blocks stripped, an answer that
 * is only JSON refused so the next model of the chain is asked (through a real ChainClient and the
 * fake LiteLLM).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainClient, ChainFailed } from '../src/llm/chain.js';
import { cleanAnswer } from '../src/llm/clean.js';
import { startFakeLiteLlm, type FakeLiteLlm } from '../src/dev/fake-litellm.js';
import { MODELS } from './support/fixture-config.js';
import { startTestSupervisor } from './support/supervisor.js';

describe('answer cleaning', () => {
  it('removes reasoning blocks and a trailing status/phase JSON fence', () => {
    const raw = '<think>Let me think about it.\nMore.</think>\n## Finding\nThe test is missing.\n\n```json\n{"status": "ok", "phase": "red"}\n```\n';
    expect(cleanAnswer(raw)).toBe('## Finding\nThe test is missing.');
    expect(cleanAnswer('<thinking>x</thinking>Answer')).toBe('Answer');
    expect(cleanAnswer('<think>never closed\nAnswer')).toBe('never closed\nAnswer');
  });

  it('removes a status block in the middle of the answer, fenced or bare', () => {
    const fenced = '## Test\nWrite it first.\n\n```json\n{"status": "red", "next": "green"}\n```\n\n## Why\nIt fails by assertion.';
    expect(cleanAnswer(fenced)).toBe('## Test\nWrite it first.\n\n## Why\nIt fails by assertion.');
    const leading = '```json\n{"status": "ok"}\n```\n\nThen the explanation.';
    expect(cleanAnswer(leading)).toBe('Then the explanation.');
    const bare = '## Finding\nThe lock is never released.\n\n{\n  "phase": "review",\n  "status": "done"\n}\n\nFindings: 1 critical, 0 warnings, 0 suggestions.';
    expect(cleanAnswer(bare)).toBe('## Finding\nThe lock is never released.\n\nFindings: 1 critical, 0 warnings, 0 suggestions.');
    const ownLine = 'Run the test.\n{"status": "red"}\nIt must fail on its assertion.';
    expect(cleanAnswer(ownLine)).toBe('Run the test.\nIt must fail on its assertion.');
  });

  it('keeps ordinary JSON and code: a config fence, an object named in a sentence, a status object inside code', () => {
    const config = 'Use this config:\n\n```json\n{"retries": 3, "backoff": "exponential"}\n```';
    expect(cleanAnswer(config)).toBe(config);
    const inline = 'The result object is {"status": "ok"} in the middle.\n\nMore text.';
    expect(cleanAnswer(inline)).toBe(inline);
    const code = 'The handler should answer:\n\n```ts\nreturn res.json(\n\n{"status": "ok"}\n\n);\n```\n\nNothing else.';
    expect(cleanAnswer(code)).toBe(code);
  });

  it('refuses an answer that is only JSON: a bare object or array, or one JSON code block', () => {
    expect(cleanAnswer('{"findings": [{"severity": "critical", "line": 3}]}')).toBe('');
    expect(cleanAnswer('<think>format?</think>\n[{"test": "adds two numbers"}]')).toBe('');
    expect(cleanAnswer('```json\n{"answer": "## Finding\\nThe test is missing."}\n```')).toBe('');
    expect(cleanAnswer('```\n{"status": "ok", "phase": "green"}\n```\n')).toBe('');
    // Not JSON: a short plain answer, and one code block of another language.
    expect(cleanAnswer('42')).toBe('42');
    expect(cleanAnswer('```ts\nexport const x = 1;\n```')).toBe('```ts\nexport const x = 1;\n```');
  });
});

describe('the chain and a refused answer', () => {
  let llm: FakeLiteLlm;
  beforeEach(async () => {
    llm = await startFakeLiteLlm();
  });
  afterEach(async () => {
    await llm.close();
  });
  const messages = [{ role: 'user' as const, content: 'review this' }];
  const client = () => new ChainClient({ baseUrl: llm.url, timeoutMs: 2000 });

  it('asks the next model when one answers only JSON, and records why', async () => {
    llm.behave('json-model', { kind: 'answer', text: '```json\n{"findings": []}\n```' });
    llm.behave('markdown-model', { kind: 'answer', text: '### WARNING\n- `a.ts:1` — unchecked input.\n\n```json\n{"status": "done"}\n```' });
    const result = await client().complete(['json-model', 'markdown-model'], { messages });
    expect(result.model).toBe('markdown-model');
    expect(result.text).toBe('### WARNING\n- `a.ts:1` — unchecked input.');
    expect(result.attempts.map((a) => [a.model, a.outcome, a.detail])).toEqual([
      ['json-model', 'empty', 'the model answered JSON, not markdown'],
      ['markdown-model', 'ok', undefined],
    ]);
  });

  it('fails the call, saying why, when every model answers only JSON', async () => {
    llm.behave('json-model', { kind: 'answer', text: '{"status": "ok"}' });
    const error = await client()
      .complete(['json-model'], { messages })
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ChainFailed);
    expect((error as ChainFailed).message).toContain('json-model: the model answered JSON, not markdown');
    expect((error as ChainFailed).message).toContain('What to do: the model returned no usable text (nothing, or only JSON)');
  });
});

describe('a consulting call whose first model answers JSON', () => {
  it('gets the next model\'s markdown answer, without its status block, and the attempts say why', async () => {
    const sup = await startTestSupervisor();
    try {
      sup.llm.behave(MODELS.primary, { kind: 'answer', text: '<think>JSON is easier.</think>\n{"findings": [{"severity": "critical", "line": 1}]}' });
      sup.llm.behave(MODELS.fallback, { kind: 'answer', text: '### CRITICAL\n- `a.ts:1` — eval of user input.\n\n```json\n{"status": "done", "phase": "review"}\n```\n\nFindings: 1 critical, 0 warnings, 0 suggestions.' });
      const client = await sup.connect();
      const result = await client.callTool({ name: 'review', arguments: { project_root: '/p', files: ['a.ts'], attachments: [{ path: 'a.ts', content: 'eval(input)' }] } });
      expect(result.isError).toBeFalsy();
      const structured = result.structuredContent as { text: string; model: string; attempts: Array<{ model: string; outcome: string; detail?: string }> };
      expect(structured.text).toBe('### CRITICAL\n- `a.ts:1` — eval of user input.\n\nFindings: 1 critical, 0 warnings, 0 suggestions.');
      // The text the agent reads ends by saying a fallback answered.
      expect((result.content as Array<{ text: string }>)[0]?.text).toBe(`${structured.text}\n\n**supervisor:** answered by ${MODELS.fallback} after ${MODELS.primary} failed (empty).`);
      expect(structured.model).toBe(MODELS.fallback);
      expect(structured.attempts.map((a) => [a.model, a.outcome, a.detail])).toEqual([
        [MODELS.primary, 'empty', 'the model answered JSON, not markdown'],
        [MODELS.fallback, 'ok', undefined],
      ]);
    } finally {
      await sup.stop();
    }
  });
});
