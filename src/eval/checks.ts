/**
 * Each skill's check: a verdict from something that runs or matches, never a judgement by eye
 * (docs/eval.md says what each one takes as right). A check never throws for a bad answer: code that
 * does not compile, a test that hangs or an answer in the wrong shape is a failed case with its
 * reason, and the run goes on.
 */
import { parseRetrospectiveLearnings, parseTrainerEntries, type DraftedEntry } from '../knowledge/entries.js';
import { answerTest, applyAnswerCode, normalisedCode, pointImports } from './answer-code.js';
import type { EvalCase } from './cases.js';
import { runContained, runSummary, type SandboxLimits, type TestRun } from './sandbox.js';

export interface Verdict {
  passed: boolean;
  /** Why, in one line: what failed, or what was found. */
  reason: string;
}

/** What a check reads of an answer: its markdown, and (trainer) the writer's part of it. */
export interface AnswerToCheck {
  text: string;
  /** trainer: the writer's entries, which `save: true` would write. */
  writerText?: string | undefined;
}

export async function checkAnswer(c: EvalCase, answer: AnswerToCheck, limits?: SandboxLimits): Promise<Verdict> {
  const textual = textChecks(c.check, answer.text);
  if (textual) return textual;
  switch (c.skill) {
    case 'tdd_red':
      return checkRed(c, answer.text, limits);
    case 'tdd_green':
    case 'tdd_refactor':
      return checkCode(c, answer.text, limits);
    case 'review':
      return checkReview(c, answer.text);
    case 'debug':
      return checkDebug(c, answer.text);
    case 'spec':
      return { passed: true, reason: `names ${Object.keys(c.check.must ?? {}).join(', ')}` };
    case 'retrospective':
      return checkEntries(parseRetrospectiveLearnings(answer.text), c.check.lesson, 'learning');
    case 'trainer':
      return checkEntries(parseTrainerEntries(answer.writerText ?? answer.text), c.check.lesson, 'entry');
  }
}

const regex = (source: string) => new RegExp(source, 'im');
const anyMatch = (text: string, sources: readonly string[]) => sources.some((source) => regex(source).test(text));

/** `must`: every named pattern is found; `must_not`: none is. Null when both hold. */
function textChecks(check: { must?: Record<string, string[]> | undefined; must_not?: Record<string, string[]> | undefined }, text: string): Verdict | null {
  const missing = Object.entries(check.must ?? {}).filter(([, sources]) => !anyMatch(text, sources)).map(([name]) => name);
  if (missing.length > 0) return { passed: false, reason: `missing: ${missing.join(', ')}` };
  const present = Object.entries(check.must_not ?? {}).filter(([, sources]) => anyMatch(text, sources)).map(([name]) => name);
  if (present.length > 0) return { passed: false, reason: `should not have: ${present.join(', ')}` };
  return null;
}

/** tdd_red: the answer's test fails on the code as given, by an assertion, and passes on the reference. */
async function checkRed(c: Extract<EvalCase, { skill: 'tdd_red' }>, answer: string, limits?: SandboxLimits): Promise<Verdict> {
  const test = answerTest(answer);
  if (test === null) return { passed: false, reason: 'no test for node:test in the answer' };
  const testFile = c.check.test_file;
  const withTest = (files: Record<string, string>) => ({ ...files, [testFile]: pointImports(test, Object.keys(files), testFile) });
  const onGiven = await runContained(withTest(c.given), testFile, limits);
  if (onGiven.outcome !== 'failed') {
    return { passed: false, reason: onGiven.outcome === 'passed' ? 'the test passes on the code as given: it is not red' : `on the code as given: ${runSummary(onGiven)}` };
  }
  const notAssertion = onGiven.tests.find((t) => !t.passed && !t.failure?.assertion);
  if (notAssertion) return { passed: false, reason: `fails on the code as given, but not by an assertion: ${notAssertion.name}: ${notAssertion.failure?.message.split('\n')[0]}` };
  const onReference = await runContained(withTest({ ...c.given, ...c.reference }), testFile, limits);
  if (onReference.outcome !== 'passed') return { passed: false, reason: `on the reference implementation: ${runSummary(onReference)}` };
  return { passed: true, reason: `fails by assertion on the given code, ${runSummary(onReference)} on the reference` };
}

/** tdd_green / tdd_refactor: the answer's code, applied to the module, passes every test (refactor: and changed it). */
async function checkCode(c: Extract<EvalCase, { skill: 'tdd_green' | 'tdd_refactor' }>, answer: string, limits?: SandboxLimits): Promise<Verdict> {
  const original = c.given[c.check.module]!;
  const changed = applyAnswerCode(original, answer);
  if (changed === null) return { passed: false, reason: `no code for ${c.check.module} in the answer` };
  if (c.skill === 'tdd_refactor' && normalisedCode(changed) === normalisedCode(original)) {
    return { passed: false, reason: `the code of ${c.check.module} is unchanged (comments and spacing aside)` };
  }
  const files = { ...c.given, [c.check.module]: changed };
  const runs: TestRun[] = [];
  for (const test of c.check.tests) {
    const run = await runContained(files, test, limits);
    if (run.outcome !== 'passed') return { passed: false, reason: `${test}: ${runSummary(run)}` };
    runs.push(run);
  }
  const count = runs.reduce((sum, run) => sum + run.tests.length, 0);
  return { passed: true, reason: `${count} test(s) pass with the answer's ${c.check.module}` };
}

/**
 * The answer's findings: its list items and paragraphs (a heading with what follows it up to the
 * next blank line or item). A defect is named when one finding names its place and its kind.
 */
function findings(answer: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (const line of answer.replace(/\r\n?/g, '\n').split('\n')) {
    const starts = /^\s{0,3}([-*+]|\d+[.)]|#{1,6})\s/.test(line) || line.trim() === '';
    if (starts && current.trim() !== '') {
      parts.push(current);
      current = '';
    }
    current += `${line}\n`;
  }
  if (current.trim() !== '') parts.push(current);
  // A heading names the file its items are about: each item is read with the heading before it.
  const withHeadings: string[] = [];
  let heading = '';
  for (const part of parts) {
    const lines = part.trim().split('\n');
    if (/^#{1,6}\s/.test(lines[0]!)) {
      heading = lines[0]!;
      // A heading alone is no finding: it names what the items after it are about.
      if (lines.length === 1) continue;
    }
    withHeadings.push(`${heading}\n${part}`);
  }
  return withHeadings;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fileNamed = (text: string, file: string) => new RegExp(`(^|[^\\w.-])${escape(file.split('/').at(-1)!)}(?![\\w-])`, 'i').test(text);

function checkReview(c: Extract<EvalCase, { skill: 'review' }>, answer: string): Verdict {
  const parts = findings(answer);
  const missed = c.check.defects.filter((defect) => {
    const lines = (defect.lines ?? []).map((n) => new RegExp(`(line[s]?\\s*|L|:)${n}(?!\\d)|\\b${n}\\s*[-–]\\s*\\d+`, 'i'));
    const names = (defect.names ?? []).map((name) => new RegExp(`(^|[^\\w$])${escape(name)}(?![\\w$])`));
    return !parts.some(
      (part) => fileNamed(part, defect.file) && (lines.some((l) => l.test(part)) || names.some((n) => n.test(part))) && anyMatch(part, defect.kind),
    );
  });
  if (missed.length > 0) return { passed: false, reason: `not named: ${missed.map((d) => `${d.file} (${d.kind[0]})`).join(', ')}` };
  const clean = /\b(no (issues?|problems?|defects?|findings?|concerns?)|looks? (fine|good|correct|clean)|is clean|nothing to report)\b/i;
  const flagged = c.check.decoys.filter((decoy) => parts.some((part) => fileNamed(part, decoy) && !clean.test(part)));
  if (flagged.length > 0) return { passed: false, reason: `flags the clean file(s) ${flagged.join(', ')}` };
  return { passed: true, reason: `names all ${c.check.defects.length} planted defect(s)${c.check.decoys.length ? ', leaves the clean files alone' : ''}` };
}

/** debug: the root cause is named, ahead of every planted wrong cause the answer also names. */
function checkDebug(c: Extract<EvalCase, { skill: 'debug' }>, answer: string): Verdict {
  const first = (sources: readonly string[]) => Math.min(...sources.map((source) => answer.search(regex(source))).filter((at) => at >= 0), Infinity);
  const root = first(c.check.root_cause);
  if (root === Infinity) return { passed: false, reason: 'the root cause is not named' };
  const ahead = c.check.wrong_causes.find((wrong) => first(wrong) < root);
  if (ahead) return { passed: false, reason: `a wrong cause (${ahead[0]}) comes before the root cause` };
  return { passed: true, reason: 'names the root cause first' };
}

/** retrospective / trainer: the entries parse, and one holds the planted lesson (every pattern). */
function checkEntries(entries: DraftedEntry[], lesson: readonly string[], what: string): Verdict {
  if (entries.length === 0) return { passed: false, reason: `no ${what} in the format the discipline asks for` };
  const holding = entries.find((entry) => lesson.every((source) => regex(source).test(`${entry.title}\n${entry.body}`)));
  if (!holding) return { passed: false, reason: `${entries.length} ${what}(s) parse, none holds the planted lesson` };
  return { passed: true, reason: `"${holding.title}" holds the planted lesson` };
}
