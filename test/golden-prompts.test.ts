/**
 * Golden prompts: for every consulting skill, the whole prompt the model receives (system and user
 * messages, as they reach LiteLLM) on a fixed input, with the SHIPPED disciplines of config/supervisor.
 * They are checked in under test/fixtures/golden/<skill>.txt and reviewed as text: a change to a
 * discipline, to the prompt's assembly or to what the tools send shows up here as a diff, and is
 * accepted deliberately with
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/golden-prompts.test.ts
 *
 * then reading `git diff test/fixtures/golden`. The input is fixed: one session (a fixed id) in which
 * every skill is called in turn, so later prompts show the earlier calls as history; two brain notes;
 * attached code, never read from disk; a fake model whose answer depends only on the phase it is asked;
 * the models of the tests' own models.yaml (test/fixtures/config), so that choosing other models in
 * config/models.yaml moves no golden file. Times and durations are masked.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../src/dev/fake-litellm.js';
import { REPO } from './support/cli.js';
import { startTestSupervisor, type TestSupervisor } from './support/supervisor.js';

const GOLDEN_DIR = join(REPO, 'test', 'fixtures', 'golden');
const SHIPPED_DISCIPLINES = join(REPO, 'config', 'supervisor');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const UPDATE_COMMAND = 'UPDATE_GOLDEN=1 npx vitest run test/golden-prompts.test.ts';

const SESSION = 'golden-session';
const ROOT = '/work/shop';
const HANDLER = {
  path: 'src/webhook.ts',
  content: [
    "import { charge } from './payments.js';",
    '',
    'export async function onPayment(event: { id: string; amount: number }) {',
    '  await charge(event.amount);',
    '}',
  ].join('\n'),
};
const HANDLER_TEST = {
  path: 'src/webhook.test.ts',
  content: [
    "import { expect, it } from 'vitest';",
    "import { onPayment } from './webhook.js';",
    '',
    "it('charges a retried delivery once', async () => {",
    "  await onPayment({ id: 'evt_1', amount: 100 });",
    "  await onPayment({ id: 'evt_1', amount: 100 });",
    '  expect(charges()).toEqual([100]);',
    '});',
  ].join('\n'),
};

/** Every consulting skill, in the order the session calls them, with its fixed arguments. */
const CALLS: Array<{ skill: string; args: Record<string, unknown> }> = [
  { skill: 'spec', args: { project_root: ROOT, requirements: 'A payment webhook that is delivered twice must charge the customer once.' } },
  { skill: 'tdd_red', args: { project_root: ROOT, spec: 'A retried payment webhook delivery (same event id) must not charge twice.', test_cmd: 'npm test', attachments: [HANDLER] } },
  { skill: 'tdd_green', args: { project_root: ROOT, test_path: HANDLER_TEST.path, test_cmd: 'npm test', attachments: [HANDLER_TEST, HANDLER] } },
  { skill: 'tdd_refactor', args: { project_root: ROOT, test_path: HANDLER_TEST.path, impl_path: HANDLER.path, test_cmd: 'npm test', attachments: [HANDLER_TEST, HANDLER] } },
  { skill: 'review', args: { project_root: ROOT, files: [HANDLER.path], context: 'Payment webhook deduplication.', attachments: [HANDLER] } },
  {
    skill: 'debug',
    args: {
      project_root: ROOT,
      error: "TypeError: Cannot read properties of undefined (reading 'id')\n    at onPayment (src/webhook.ts:3:38)",
      context: 'Happens when the webhook is retried.',
      attachments: [HANDLER],
    },
  },
  { skill: 'retrospective', args: {} },
  { skill: 'trainer', args: {} },
];

const NOTES = [
  {
    title: 'Idempotent payment webhooks',
    type: 'pattern',
    domain: 'api',
    tags: ['webhook', 'idempotency', 'payments'],
    content: 'Record each webhook delivery id before charging, in the same transaction, so a retried delivery is dropped.',
  },
  {
    title: 'Tests that fail by assertion',
    type: 'correction',
    domain: 'testing',
    tags: ['tdd', 'testing'],
    content: 'A red test that fails on an import error proves nothing: create an empty stub first so the test fails on its assertion.',
  },
];

/** The fake model's answer: fixed for each phase, so the history later prompts show is fixed too. */
function answerFor(request: ChatRequest): string {
  const user = request.messages.find((m) => m.role === 'user')?.content ?? '';
  const phase = /\*\*Phase:\*\* (.+)/.exec(user)?.[1] ?? 'unknown';
  return `## Answer for ${phase}\nThe fixed answer of the fake model.`;
}

let sup: TestSupervisor;
let client: Client;
/** What reached the model for each skill (trainer asks twice: reader, then writer). */
const prompts = new Map<string, ChatRequest[]>();

beforeAll(async () => {
  sup = await startTestSupervisor({ SUPERVISOR_CONFIG_DIR: SHIPPED_DISCIPLINES }, { answer: { kind: 'answer', text: answerFor } });
  for (const note of NOTES) await sup.deps.brain.write(note);
  client = await sup.connect();
  for (const { skill, args } of CALLS) {
    const from = sup.llm.requests.length;
    const result = await client.callTool({ name: skill, arguments: { ...args, session_id: SESSION } });
    if (result.isError) throw new Error(`${skill} failed: ${JSON.stringify(result.content)}`);
    // Copied: the fake's request list is emptied before each test.
    prompts.set(skill, sup.llm.requests.slice(from));
  }
});
afterAll(async () => {
  await sup?.stop();
});

describe('golden prompts: what the model receives for each skill, with the shipped disciplines', () => {
  it.each(CALLS.map((call) => call.skill))('%s', async (skill) => {
    const actual = render(skill, prompts.get(skill) ?? []);
    const file = join(GOLDEN_DIR, `${skill}.txt`);
    if (UPDATE) {
      await mkdir(GOLDEN_DIR, { recursive: true });
      await writeFile(file, actual);
      return;
    }
    const expected = await readFile(file, 'utf8').catch(() => null);
    if (expected === null) throw new Error(`no golden prompt ${relativeToRepo(file)} yet: create it with ${UPDATE_COMMAND}, then review it`);
    if (actual !== expected) {
      throw new Error(
        `the prompt for ${skill} differs from ${relativeToRepo(file)} (- golden, + now):\n\n${lineDiff(expected, actual)}\n\n` +
          `If the change is deliberate, update the golden files with ${UPDATE_COMMAND} and review \`git diff test/fixtures/golden\`.`,
      );
    }
    expect(actual).toBe(expected);
  });
});

/** Plain text, one header per message; times, durations and temporary paths masked. */
function render(skill: string, requests: ChatRequest[]): string {
  const parts = [
    `# Golden prompt: ${skill}`,
    '# What the model receives on a fixed input with the shipped config/supervisor disciplines (test/golden-prompts.test.ts).',
    `# Update deliberately: ${UPDATE_COMMAND}`,
  ];
  requests.forEach((request, i) => {
    parts.push('', `======================== request ${i + 1} of ${requests.length} · model ${request.model} ========================`);
    for (const message of request.messages) parts.push('', `------------------------ ${message.role} ------------------------`, '', mask(message.content, message.role).trimEnd());
  });
  return `${parts.join('\n')}\n`;
}

/** The user message carries the session's times and durations; any message could carry a temporary path. */
function mask(text: string, role: string): string {
  const masked = text.replace(new RegExp(`${escapeRegExp(tmpdir())}/[^\\s\`)'"]*`, 'g'), '<temporary path>');
  if (role !== 'user') return masked;
  return masked
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?Z?/g, '<time>')
    .replace(/\b\d+ ms\b/g, '<duration> ms')
    .replace(/\b\d+\.\d s$/gm, '<duration> s');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const relativeToRepo = (file: string) => file.slice(REPO.length + 1);

/**
 * The lines that differ, with two lines of context, from a longest-common-subsequence of lines
 * (the prompts are a few hundred lines: the quadratic table is small).
 */
function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const common: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i]![j] = a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const lines: Array<{ mark: ' ' | '-' | '+'; text: string }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ mark: ' ', text: a[i++]! });
      j++;
    }
    else if (i < a.length && (j === b.length || common[i + 1]![j]! >= common[i]![j + 1]!)) lines.push({ mark: '-', text: a[i++]! });
    else lines.push({ mark: '+', text: b[j++]! });
  }
  const near = (k: number) => lines.slice(Math.max(0, k - 2), k + 3).some((line) => line.mark !== ' ');
  const shown: string[] = [];
  lines.forEach((line, k) => {
    if (!near(k)) {
      if (shown.at(-1) !== '…') shown.push('…');
      return;
    }
    shown.push(`${line.mark} ${line.text}`);
  });
  return shown.join('\n');
}
