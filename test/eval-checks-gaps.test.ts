/**
 * The edges of the eval's checks that the case proofs (test/eval-cases.test.ts) do not reach: the
 * answers a stricter check must still pass, and the rules of applying an answer's code to a module.
 * Each wrong side has a proof in its case (answers/wrong-*.md); here are the right sides.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyAnswerCode } from '../src/eval/answer-code.js';
import { loadCases, type EvalCase } from '../src/eval/cases.js';
import { checkAnswer } from '../src/eval/checks.js';

const cases = await loadCases(join(import.meta.dirname, '..', 'eval', 'cases'));
const named = (id: string): EvalCase => cases.find((c) => c.id === id)!;
const verdict = (id: string, text: string) => checkAnswer(named(id), { text });

describe('debug: the ranking of the hypotheses, not the first mention', () => {
  it('passes a root cause ranked first though the reading of the error names a wrong one', async () => {
    const text = `**Reading of the error**: the SELECT arrives after the error, which looks like a race condition at first.

**Hypotheses**
1. **Most likely: a missing \`await\` on \`loadOrder\`**: \`order\` is a pending Promise.
2. **Less likely: a race condition** between the webhook and the write of the order.`;
    expect(await verdict('debug/missing-await-order-promise', text)).toMatchObject({ passed: true });
  });

  it('reads hypotheses given as headings, and a cause dismissed after it ("X is unlikely") ranks nowhere', async () => {
    const text = `## Reading of the error
\`getDate()\` returns the 31st.

## 1. A cached value is unlikely
Nothing is cached.

## 2. The time zone
\`new Date("2026-04-01")\` is midnight UTC, and New York is behind it.`;
    expect(await verdict('debug/timezone-off-by-one-day', text)).toMatchObject({ passed: true });
  });

  it('fails an answer that names the root cause only to rule it out', async () => {
    const text = `1. **Most likely: a cached date** from an earlier run.
2. We can rule out the time zone: the test runs alone.`;
    expect(await verdict('debug/timezone-off-by-one-day', text)).toMatchObject({ passed: false, reason: expect.stringMatching(/root cause is not named/) });
  });
});

describe('review: a decoy is flagged by a finding about it, not by a mention in passing', () => {
  const traversal = '- `src/downloads.mjs:10` — `sendUpload` joins the decoded `name` onto `UPLOAD_DIR`: a path traversal with `../`.';

  it('passes a finding about a real defect that names the decoy in passing', async () => {
    const text = `### CRITICAL
${traversal} Unlike \`src/mime.mjs\`, which only maps extensions, this function touches the file system.
- Unlike \`src/mime.mjs\`, \`src/downloads.mjs\` trusts the request: \`sendUpload\` reads any file on the disk (line 10), a path traversal.`;
    expect(await verdict('review/path-traversal-in-download', text)).toMatchObject({ passed: true });
  });

  it('flags a finding whose subject is the decoy, by its heading or by a line of it', async () => {
    const byHeading = `### src/downloads.mjs\n${traversal}\n\n### src/mime.mjs\n- \`lastIndexOf\` returns -1 for a name without a dot.`;
    expect(await verdict('review/path-traversal-in-download', byHeading)).toMatchObject({ passed: false, reason: expect.stringMatching(/flags the clean file/) });
    const byLine = `${traversal}\n- The content type is wrong for dotless names: \`src/mime.mjs:10\` slices from -1.`;
    expect(await verdict('review/path-traversal-in-download', byLine)).toMatchObject({ passed: false, reason: expect.stringMatching(/flags the clean file/) });
  });

  it('still takes "no issues" about the decoy, under its own heading or in a summary', async () => {
    const text = `${traversal}\n\n### src/mime.mjs\n- No issues: the extension is looked up in a \`Map\`.\n\nOverall, \`src/mime.mjs\` is fine.`;
    expect(await verdict('review/path-traversal-in-download', text)).toMatchObject({ passed: true });
  });
});

describe('tdd_red: exactly one failing test', () => {
  it('passes a file with the one new failing test beside a test of what already works', async () => {
    const text = `\`\`\`js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slugify } from './slugify.mjs';

test('lowercases and joins words with a dash', () => {
  assert.equal(slugify('Hello World'), 'hello-world');
});

test('collapses runs of separators into one dash', () => {
  assert.equal(slugify('Hello   World'), 'hello-world');
});
\`\`\``;
    expect(await verdict('tdd_red/slugify-collapses-dashes', text)).toMatchObject({ passed: true });
  });
});

describe("applyAnswerCode: a whole file replaces the module, a patch keeps what it leaves out", () => {
  const module = `import { round } from './round.mjs';

export function parsePort(text) {
  return Number(text);
}

export function parseHostPort(text) {
  const [host, port] = text.split(':');
  return { host, port: parsePort(port) };
}

export function formatHostPort({ host, port }) {
  return \`\${host}:\${port}\`;
}
`;
  const fence = (code: string) => `\`\`\`js\n${code}\n\`\`\``;

  it('drops an export that a rewrite of the whole module leaves out', () => {
    // As many declarations as the module, two of them its own: the module as the answer wrote it.
    const rewritten = fence(`const MAX_PORT = 65535;

export function parsePort(text) {
  const port = Number(text);
  if (port > MAX_PORT) throw new RangeError('out of range');
  return port;
}

export function parseAddress(text) {
  const [host, port] = text.split(':');
  return { host, port: parsePort(port) };
}

export function formatHostPort({ host, port }) {
  return \`\${host}:\${port}\`;
}`);
    const code = applyAnswerCode(module, rewritten)!;
    expect(code).not.toContain('parseHostPort');
    expect(code).toContain('export function parseAddress');
    expect(code).toContain('const MAX_PORT = 65535;');
  });

  it('keeps every declaration a green step does not touch, with the helper and the import it brings', () => {
    const green = fence(`import { clamp } from './clamp.mjs';

const MAX_PORT = 65535;

export function parsePort(text) {
  return clamp(Number(text), 1, MAX_PORT);
}`);
    const code = applyAnswerCode(module, green)!;
    expect(code).toContain('export function parseHostPort(text)');
    expect(code).toContain('export function formatHostPort(');
    expect(code).toContain('return clamp(Number(text), 1, MAX_PORT);');
    expect(code).not.toContain('return Number(text);');
    expect(code).toContain('const MAX_PORT = 65535;');
    expect(code.startsWith("import { clamp } from './clamp.mjs';\nimport { round } from './round.mjs';")).toBe(true);
  });

  it('does not add an import the module already has', () => {
    const code = applyAnswerCode(module, fence(`import { round } from "./round.mjs";\n\nexport function parsePort(text) {\n  return round(Number(text));\n}`))!;
    expect(code.match(/import/g)).toHaveLength(1);
  });
});
