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

/**
 * tdd_red: the answer's test fails on the code as given, by an assertion, and passes on the reference.
 * The discipline asks for exactly one new test, so exactly one test may fail on the code as given:
 * two failing tests are two behaviours at once, whatever the reference says of them. Other tests in
 * the file may pass on the given code (they pin what already works); none may fail by an error.
 */
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
  const failing = onGiven.tests.filter((t) => !t.passed);
  if (failing.length > 1) return { passed: false, reason: `more than one failing test on the code as given (${failing.length}): ${failing.map((t) => t.name).join('; ').slice(0, 200)}` };
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

/** One finding of a review: its text, and the heading above it (which names what its items are about). */
interface Finding {
  heading: string;
  text: string;
}

/**
 * The answer's findings: its list items and paragraphs (a heading with what follows it up to the
 * next blank line or item). A defect is named when one finding names its place and its kind.
 */
function findings(answer: string): Finding[] {
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
  const withHeadings: Finding[] = [];
  let heading = '';
  for (const part of parts) {
    const lines = part.trim().split('\n');
    if (/^#{1,6}\s/.test(lines[0]!)) {
      heading = lines[0]!;
      // A heading alone is no finding: it names what the items after it are about.
      if (lines.length === 1) continue;
    }
    withHeadings.push({ heading, text: part });
  }
  return withHeadings;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fileName = (file: string) => new RegExp(`(^|[^\\w.-])(${escape(file.split('/').at(-1)!)})(?![\\w-])`, 'gi');
const fileNamed = (text: string, file: string) => fileName(file).test(text);

function checkReview(c: Extract<EvalCase, { skill: 'review' }>, answer: string): Verdict {
  const parts = findings(answer);
  const missed = c.check.defects.filter((defect) => {
    const lines = (defect.lines ?? []).map((n) => new RegExp(`(line[s]?\\s*|L|:)${n}(?!\\d)|\\b${n}\\s*[-–]\\s*\\d+`, 'i'));
    const names = (defect.names ?? []).map((name) => new RegExp(`(^|[^\\w$])${escape(name)}(?![\\w$])`));
    return !parts.some(({ heading, text }) => {
      const part = `${heading}\n${text}`;
      return fileNamed(part, defect.file) && (lines.some((l) => l.test(part)) || names.some((n) => n.test(part))) && anyMatch(part, defect.kind);
    });
  });
  if (missed.length > 0) return { passed: false, reason: `not named: ${missed.map((d) => `${d.file} (${d.kind[0]})`).join(', ')}` };
  const files = Object.keys(c.given);
  const flagged = c.check.decoys.filter((decoy) => parts.some((part) => flagsDecoy(part, decoy, files)));
  if (flagged.length > 0) return { passed: false, reason: `flags the clean file(s) ${flagged.join(', ')}` };
  return { passed: true, reason: `names all ${c.check.defects.length} planted defect(s)${c.check.decoys.length ? ', leaves the clean files alone' : ''}` };
}

/** What says a file is fine. */
const CLEAN = /\b(no (issues?|problems?|defects?|findings?|concerns?|bugs?)|nothing (to report|found|wrong)|(looks?|seems?|is|are) (fine|good|correct|clean|ok|okay|safe))\b/i;
/** What takes it back: "no issues with the lookup, but…". */
const CONTRAST = /\b(but|however|except|although|though|apart from|other than|aside from|yet)\b/i;
/** Words that name a file in passing, as a comparison or a caller, not as the finding's subject. */
const IN_PASSING = /\b(unlike|like|as|than|similar(ly)? to|compared (to|with)|same as|in contrast to|cf\.?|see|from|by|via|calls?|uses?|imports?)\s*$/i;
/** A line of the file cited right after its name: `mime.mjs:10`, `mime.mjs` line 10, (line 10), #L10. */
const CITES_LINE = /^[`*_]*(:\d|\s*\(?\s*(lines?|l\.?)\s*\d|#L\d)/i;

/**
 * Whether a finding flags the clean file `decoy`: the decoy is the finding's subject and the finding does
 * not say it is fine. Its subject is the first file it names other than in passing ("unlike decoy.js,
 * this file…", "reads the type from decoy.js"), any file it cites a line of, or, when it names no file,
 * the one its heading names. A file named in passing inside a finding about a real defect is no flag;
 * a finding about the decoy is one even when it also says "no issues" and takes that back ("…, but").
 */
function flagsDecoy({ heading, text }: Finding, decoy: string, files: readonly string[]): boolean {
  const mentions = files
    .flatMap((file) => [...text.matchAll(fileName(file))].map((m) => ({ file, at: m.index + m[1]!.length, end: m.index + m[0].length })))
    .sort((a, b) => a.at - b.at)
    .filter((m) => !IN_PASSING.test(text.slice(0, m.at).replace(/[`*_"'[(]*[\w./-]*$/, '')));
  let at: number;
  if (mentions.length === 0) {
    if (!fileNamed(heading, decoy)) return false;
    at = 0;
  } else {
    const subject = mentions.find((m) => m.file === decoy && (m === mentions[0] || CITES_LINE.test(text.slice(m.end))));
    if (!subject) return false;
    at = subject.at;
  }
  // Fine when the sentence naming it says so, and nothing after that (up to another file) takes it back.
  const sentenceStart = Math.max(0, ...[...text.slice(0, at).matchAll(/[.!?;](?=\s)/g)].map((m) => m.index + 1));
  const sentenceEnd = /[.!?;](?=\s|$)/.exec(text.slice(at))?.index;
  const sentence = text.slice(sentenceStart, sentenceEnd === undefined ? undefined : at + sentenceEnd);
  const clean = CLEAN.exec(sentence);
  if (!clean) return true;
  const afterClean = text.slice(sentenceStart + clean.index + clean[0].length);
  const nextFile = mentions.find((m) => m.at > sentenceStart + clean.index && m.file !== decoy);
  return CONTRAST.test(nextFile ? afterClean.slice(0, nextFile.at - (sentenceStart + clean.index + clean[0].length)) : afterClean);
}

/**
 * debug: the root cause is the answer's top-ranked cause. The discipline asks for the hypotheses most
 * likely first, so the ranking is read from the answer's list items and headings, in order (rankedItems);
 * an answer with none that names a cause is read whole. A cause named only to be dismissed ("it is not
 * X", "unlikely: X", "rule out X", "X is unlikely") ranks nowhere: the first cause named otherwise, the
 * root one or a planted wrong one, is the answer's top hypothesis.
 */
function checkDebug(c: Extract<EvalCase, { skill: 'debug' }>, answer: string): Verdict {
  const root: Cause = { root: true, sources: c.check.root_cause };
  const causes = [root, ...c.check.wrong_causes.map((sources): Cause => ({ root: false, sources }))];
  const whole = paragraphs(answer);
  if (!firstNamed(whole, [root])) return { passed: false, reason: 'the root cause is not named (or only to be ruled out)' };
  const top = firstNamed(rankedItems(answer), causes) ?? firstNamed(whole, causes)!;
  if (!top.root) return { passed: false, reason: `a wrong cause (${top.sources[0]}) is ranked before the root cause` };
  return { passed: true, reason: 'ranks the root cause first' };
}

interface Cause {
  root: boolean;
  sources: readonly string[];
}

/** The cause named first in `text` (its earliest match that is not dismissed), or null. */
function firstNamed(text: string, causes: readonly Cause[]): Cause | null {
  let first: { at: number; cause: Cause } | null = null;
  for (const cause of causes) {
    for (const source of cause.sources) {
      for (const match of text.matchAll(new RegExp(source, 'gim'))) {
        if (first && match.index >= first.at) break;
        if (match[0] === '' || dismissed(text, match.index, match.index + match[0].length)) continue;
        first = { at: match.index, cause };
        break;
      }
    }
  }
  return first?.cause ?? null;
}

/** What ends a clause, for the words that may negate a mention: a sentence's end, a comma, a bracket, a line, a turn. */
const CLAUSE_END = /[.;!?](?=\s|$)|[,()\n]|\b(?:but|however|rather|instead|whereas)\b/gi;
/** Words that dismiss what follows them in the clause: "not", "unlikely", "rule out"… */
const NEGATION = /\b(?:not|no|never|nor|neither|unlikely|impossible|exclud\w*|dismiss\w*|rul(?:e|es|ed|ing) out|cannot|\w+n['’]t)\b/i;
/** …and what dismisses the words before it: "X is unlikely", "X can be ruled out", "X is not the cause". */
const DISMISSED_AFTER =
  /^[^\w\n]*(?:[\w`'’-]+\s+){0,2}?(?:(?:is|are|was|were|seems?|looks?|sounds?|appears?)\s+(?:\w+\s+)?(?:unlikely|impossible|ruled out|excluded|not (?:the|a|an|it|likely|relevant|involved|to blame))|(?:can|could|may)\s+be\s+(?:ruled out|excluded|dismissed))\b/i;

/**
 * A mention dismissed: a negation among the four words before it in its clause ("it is not a missing
 * await", "**Unlikely**: a race", "rule out the g flag"), or a dismissal right after it. Four words:
 * a "not" further back is about something else ("the order does not hold its customer: `loadOrder` is
 * missing an await").
 */
function dismissed(text: string, start: number, end: number): boolean {
  const before = text.slice(Math.max(0, start - 200), start);
  const clauseStart = Math.max(0, ...[...before.matchAll(CLAUSE_END)].map((m) => m.index + m[0].length));
  const words = before.slice(clauseStart).split(/\s+/).filter((word) => /\w/.test(word)).slice(-4).join(' ');
  if (NEGATION.test(words)) return true;
  const after = text.slice(end, end + 200);
  CLAUSE_END.lastIndex = 0;
  const clauseEnd = CLAUSE_END.exec(after)?.index ?? after.length;
  return DISMISSED_AFTER.test(after.slice(0, clauseEnd));
}

/** The answer's paragraphs, each on one line: a wrapped line does not end a clause. */
const paragraphs = (text: string) =>
  text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s+/g, ' ').trim())
    .join('\n');

/** The sections of the debug discipline's format that hold no hypothesis. */
const NOT_A_HYPOTHESIS = /^(?:reading of the error|if confirmed|missing)\b\s*[*_]*\s*(?::|$)/i;

/**
 * The answer's hypotheses as it ranks them: its list items (numbered or not, nested ones in their
 * place) and its headings with the text under them, in order, each on one line. A list item goes on
 * with its wrapped and indented lines; a paragraph at the margin after a blank line ends it (the
 * format's **If confirmed**). The format's Reading of the error, If confirmed and Missing are left out:
 * a cause the reading of the error names is not thereby ranked.
 */
function rankedItems(answer: string): string {
  const items: { heading: boolean; lines: string[] }[] = [];
  let current: { heading: boolean; lines: string[] } | null = null;
  let blank = false;
  for (const line of answer.replace(/\r\n?/g, '\n').split('\n')) {
    const start = /^\s*(?:[-*+]|\d+[.)])\s|^\s{0,3}#{1,6}\s/.exec(line);
    if (start) {
      current = { heading: /^\s*#/.test(line), lines: [line] };
      items.push(current);
    } else if (line.trim() !== '' && current && (current.heading || !blank || /^\s/.test(line))) {
      current.lines.push(line);
    } else if (line.trim() !== '') {
      current = null;
    }
    blank = line.trim() === '';
  }
  return items
    .filter((item) => !NOT_A_HYPOTHESIS.test(item.lines[0]!.trim().replace(/^(?:[-*+]|\d+[.)]|#{1,6})\s+/, '').replace(/^[*_\s]+/, '')))
    .map((item) => item.lines.join(' ').replace(/\s+/g, ' ').trim())
    .join('\n');
}

/**
 * retrospective / trainer: the entries parse, and one holds the planted lesson (every pattern) in what it
 * teaches: its title and its Recommendation (retrospective) or its Lesson section (trainer), the
 * parser's `lesson`. Context, Evidence, When it applies and Example do not count: an entry that only
 * quotes the lesson's words as what happened, and recommends something else, has not drawn the lesson.
 */
function checkEntries(entries: DraftedEntry[], lesson: readonly string[], what: string): Verdict {
  if (entries.length === 0) return { passed: false, reason: `no ${what} in the format the discipline asks for` };
  const holding = entries.find((entry) => lesson.every((source) => regex(source).test(entry.lesson)));
  if (!holding) return { passed: false, reason: `${entries.length} ${what}(s) parse, none holds the planted lesson` };
  return { passed: true, reason: `"${holding.title}" holds the planted lesson` };
}
