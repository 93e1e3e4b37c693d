import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../src/dev/fake-litellm.js';
import { MERGE_RULES, PANEL_MIN_WAIT_MS, panelModels } from '../src/consult/panel.js';
import { CallRefused } from '../src/errors.js';
import { MODELS } from './support/fixture-config.js';
import { useTestSupervisor, type TestSupervisor } from './support/supervisor.js';

let sup: TestSupervisor;
let client: Client;
useTestSupervisor((s, c) => {
  sup = s;
  client = c;
});

const ROOT = '/work/shop';
const CODE = { path: 'src/upload.js', content: 'export function save(name, data) {\n  fs.writeFileSync("/srv/" + name, data);\n}' };
const isMerge = (request: ChatRequest) => request.messages[0]?.content === MERGE_RULES;
type Text = { type: string; text: string };
const textOf = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as Text[])[0]?.text ?? '';
const structured = (result: Awaited<ReturnType<Client['callTool']>>) => result.structuredContent as Record<string, any>;

/** Each model answers with its own finding; a merge request is answered with what it was given, so the test sees it. */
function panelOf(models: string[], merged = (request: ChatRequest) => `MERGED:\n${request.messages[1]!.content}`) {
  for (const model of models) {
    sup.llm.behave(model, { kind: 'answer', text: (request) => (isMerge(request) ? merged(request) : `finding of ${model}: path traversal in src/upload.js:2`) });
  }
}

describe('a review panel', () => {
  it("asks the chain's models at once with one prompt, and the first of them merges the answers without names", async () => {
    panelOf([MODELS.primary, MODELS.fallback]);
    const result = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['src/upload.js'], attachments: [CODE], panel: true } });
    expect(result.isError).toBeFalsy();

    const asked = sup.llm.requests.filter((r) => !isMerge(r));
    expect(asked.map((r) => r.model).sort()).toEqual([MODELS.fallback, MODELS.primary]);
    expect(asked[0]!.messages).toEqual(asked[1]!.messages);
    const merges = sup.llm.requests.filter(isMerge);
    expect(merges.map((r) => r.model)).toEqual([MODELS.primary]);
    const mergeInput = merges[0]!.messages[1]!.content;
    // both answers, as "Answer 1" and "Answer 2", and the request in short — the models' names are in the
    // answers' own text here, so the check is that the prompt adds no names of its own
    expect(mergeInput).toContain('## Answer 1');
    expect(mergeInput).toContain('## Answer 2');
    expect(mergeInput).toContain('Code shown: src/upload.js');
    expect(mergeInput.replaceAll(`finding of ${MODELS.primary}`, '').replaceAll(`finding of ${MODELS.fallback}`, '')).not.toMatch(/test\/(primary|fallback)/);

    expect(structured(result).model).toBe(MODELS.primary);
    expect(structured(result).panel).toEqual({ models: [MODELS.primary, MODELS.fallback], answered: [MODELS.primary, MODELS.fallback], merged_by: MODELS.primary, failed: [] });
    expect(textOf(result)).toMatch(/^MERGED:/);
    expect(textOf(result)).toContain(`a panel of 2 models answered, merged by ${MODELS.primary}`);
    // one session-log line for the call, by the merger, with every model request among its attempts
    const [entry] = await sup.sessionFiles!.recent(structured(result).session_id as string, { limit: 1 });
    expect(entry).toMatchObject({ skill: 'review', model_used: MODELS.primary, final_status: 'ok', arguments: { panel: 'true' } });
    expect(entry!.attempts.map((a) => a.model)).toHaveLength(3);
  });

  it('debug takes a list, leaves out a model still thinking at twice the first answer, and says so', async () => {
    panelOf([MODELS.primary, MODELS.planner]);
    sup.llm.behave(MODELS.small, { kind: 'hang' });
    const started = performance.now();
    const result = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'ENOENT: /srv/../etc/passwd', panel: [MODELS.small, MODELS.planner, MODELS.primary] } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(PANEL_MIN_WAIT_MS - 50);
    expect(result.isError).toBeFalsy();
    expect(structured(result).panel).toEqual({
      models: [MODELS.small, MODELS.planner, MODELS.primary],
      answered: [MODELS.planner, MODELS.primary],
      // the first of the panel's order that answered
      merged_by: MODELS.planner,
      failed: [{ model: MODELS.small, reason: 'too_slow' }],
    });
    expect(textOf(result)).toContain(`without ${MODELS.small} (too slow)`);
    // the straggler's request was cut, not left running on the model server
    await expect.poll(() => sup.llm.aborted).toContain(MODELS.small);
  });

  it('one answer alone is given unmerged; a merge that fails everywhere gives the first answer, said as such', async () => {
    panelOf([MODELS.primary]);
    sup.llm.behave(MODELS.fallback, { kind: 'status', status: 500, message: 'CUDA out of memory' });
    const alone = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['src/upload.js'], attachments: [CODE], panel: true } });
    expect(structured(alone).panel).toMatchObject({ answered: [MODELS.primary], merged_by: null, failed: [{ model: MODELS.fallback, reason: 'server_error 500' }] });
    expect(textOf(alone)).toMatch(/^finding of test\/primary/);
    expect(textOf(alone)).toContain(`the answer of ${MODELS.primary} unmerged: it alone of the panel answered; without ${MODELS.fallback} (server_error 500)`);
    expect(sup.llm.requests.filter(isMerge)).toHaveLength(0);

    sup.llm.reset();
    panelOf([MODELS.primary, MODELS.fallback], () => {
      throw new Error('the merge breaks the connection');
    });
    const unmerged = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['src/upload.js'], attachments: [CODE], panel: true } });
    expect(unmerged.isError).toBeFalsy();
    expect(structured(unmerged).panel).toMatchObject({ answered: [MODELS.primary, MODELS.fallback], merged_by: null, merge_failed: expect.stringContaining(MODELS.primary) });
    expect(textOf(unmerged)).toMatch(/^finding of test\/primary/);
    expect(textOf(unmerged)).toContain('no model could merge the answers');
    // both answering models were asked to merge, in panel order
    expect(sup.llm.requests.filter(isMerge).map((r) => r.model)).toEqual([MODELS.primary, MODELS.fallback]);
  });

  it('no answer at all fails the call with each model and why', async () => {
    sup.llm.behave(MODELS.primary, { kind: 'status', status: 503 });
    sup.llm.behave(MODELS.fallback, { kind: 'status', status: 500 });
    const result = await client.callTool({ name: 'review', arguments: { project_root: ROOT, files: ['src/upload.js'], attachments: [CODE], panel: true } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('no model of the panel answered');
    expect(textOf(result)).toContain(`${MODELS.primary} (server_error 503)`);
  });

  it.each([
    [{ panel: true, model: MODELS.primary }, 'give model or panel, not both'],
    [{ panel: [MODELS.primary] }, 'panel must name 2–5 different models'],
    [{ panel: [MODELS.primary, MODELS.primary] }, 'panel must name 2–5 different models'],
    [{ panel: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'panel: at most 5 entries'],
    [{ panel: 'yes' }, 'panel must be true or a list of model names'],
    [{ panel: ['bad name!', 'b'] }, 'model: 1–200 characters'],
  ])('refuses %j before asking any model', async (args, message) => {
    const result = await client.callTool({ name: 'debug', arguments: { project_root: ROOT, error: 'boom', ...args } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(message);
    expect(sup.llm.requests).toHaveLength(0);
  });

  it('panel: true on a chain of one model names what to do instead', () => {
    const models = { chainFor: () => ['only/one'] } as never;
    expect(() => panelModels({ models }, 'review', 'review', true, undefined)).toThrow(CallRefused);
    expect(() => panelModels({ models }, 'review', 'review', true, undefined)).toThrow(/models\.yaml gives it 1; name 2–5 models instead/);
    expect(panelModels({ models: { chainFor: () => ['a', 'b', 'c', 'd', 'e', 'f', 'g'] } as never }, 'review', 'review', true, undefined)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
