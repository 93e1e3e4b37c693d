/**
 * The suite that ships proves its own checks: every case's right answers (answers/right*.md) pass
 * its check and its wrong answers (answers/wrong*.md) fail it, each case with at least one of each,
 * and every skill has at least five cases. A check that cannot tell right from wrong scores nothing.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EVAL_SKILLS, loadCases } from '../src/eval/cases.js';
import { checkAnswer } from '../src/eval/checks.js';

const cases = await loadCases(join(import.meta.dirname, '..', 'eval', 'cases'));

test('every skill has at least five cases', () => {
  const counts = Object.fromEntries(EVAL_SKILLS.map((skill) => [skill, cases.filter((c) => c.skill === skill).length]));
  for (const skill of EVAL_SKILLS) expect(counts[skill], skill).toBeGreaterThanOrEqual(5);
});

describe.concurrent.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
  test('has a right and a wrong answer to prove its check', () => {
    expect(c.proofs.right.length).toBeGreaterThan(0);
    expect(c.proofs.wrong.length).toBeGreaterThan(0);
  });
  test.each(c.proofs.right.map((text, i) => [i, text] as const))('right answer %i passes', async (_i, text) => {
    const verdict = await checkAnswer(c, { text });
    expect(verdict, verdict.reason).toMatchObject({ passed: true });
  });
  test.each(c.proofs.wrong.map((text, i) => [i, text] as const))('wrong answer %i fails', async (_i, text) => {
    const verdict = await checkAnswer(c, { text });
    expect(verdict, verdict.reason).toMatchObject({ passed: false });
  });
});
