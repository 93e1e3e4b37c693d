/**
 * A scripted model for `supervisor eval`: it recognises which case a prompt is for (by text only that
 * case's call carries) and answers with what the script says — the case's own proof answers (right
 * or wrong), or any text — so a test knows each case's verdict before the run. A panel's merge keeps
 * the right answer when any member gave it.
 */
import type { ChatRequest } from '../../src/dev/fake-litellm.js';
import { MERGE_RULES } from '../../src/consult/panel.js';
import type { EvalCase } from '../../src/eval/cases.js';

const PHASES: Record<EvalCase['skill'], string> = {
  tdd_red: 'red',
  tdd_green: 'green',
  tdd_refactor: 'refactor',
  review: 'review',
  debug: 'debug',
  spec: 'spec',
  retrospective: 'retrospective',
  trainer: 'trainer',
};

export type Scripted = 'right' | 'wrong' | { text: string };

/** Text of the case that its prompt (or, for the trainer's writer, its reader's answer) holds and no other case's does. */
function fingerprints(c: EvalCase): string[] {
  // A file is shown with its lines numbered: its longest line is what is found of it.
  const longestLine = (text: string) => text.split('\n').reduce((a, b) => (b.trim().length > a.length ? b.trim() : a), '');
  const texts = [
    ...Object.values(c.arguments).filter((v): v is string => typeof v === 'string' && v.length >= 30),
    ...Object.values(c.given).map(longestLine).filter((line) => line.length >= 30),
    ...(c.session ? [c.session.split('\n').map((line) => (JSON.parse(line || '{}') as { message?: string }).message ?? '').find((m) => m.length >= 30) ?? ''] : []),
  ];
  return texts.filter(Boolean).map((text) => text.replace(/\s+/g, ' ').trim().slice(0, 60));
}

const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * A panel's merge, scripted: the case whose proof answers the merge prompt shows, answered right when
 * any panel answer was right (a merger that keeps the right finding), else with the wrong answer shown.
 */
function mergedAnswer(cases: readonly EvalCase[], prompt: string): string {
  for (const c of cases) {
    const right = c.proofs.right.find((text) => prompt.includes(flat(text)));
    const wrong = c.proofs.wrong.find((text) => prompt.includes(flat(text)));
    if (right ?? wrong) return (right ?? wrong)!;
  }
  throw new Error('the scripted merger finds no case answer among the panel answers');
}

export function scriptedAnswer(cases: readonly EvalCase[], script: (model: string, c: EvalCase) => Scripted): (request: ChatRequest) => string {
  const prints = cases.map((c) => ({ c, prints: fingerprints(c) }));
  return (request) => {
    const prompt = request.messages.map((m) => m.content).join('\n').replace(/\s+/g, ' ');
    if (request.messages[0]?.content === MERGE_RULES) return mergedAnswer(cases, prompt);
    // Cases that share text (one session log read by retrospective and trainer) differ by the task's phase.
    // The case whose texts the prompt holds most of (two cases may share a line of code).
    const scored = prints
      .filter(({ c }) => new RegExp(`\\*\\*Phase:\\*\\* ${PHASES[c.skill]}\\b`).test(prompt))
      .map(({ c, prints: p }) => ({ c, hits: p.filter((text) => prompt.includes(text)).length }))
      .filter(({ hits }) => hits > 0)
      .sort((a, b) => b.hits - a.hits);
    const found = scored.filter(({ hits }) => hits === scored[0]?.hits);
    const c = found.length === 1 ? found[0]!.c : undefined;
    // The trainer's writer sees the reader's answer, not the case: the reader was given the case's answer.
    const writer = cases.find((k) => k.skill === 'trainer' && k.proofs.right.concat(k.proofs.wrong).some((text) => prompt.includes(text.replace(/\s+/g, ' ').trim().slice(0, 60))));
    const chosen = c ?? writer;
    if (!chosen) throw new Error(`the scripted model cannot tell which case this prompt is for (${found.length} match)`);
    const wanted = script(request.model, chosen);
    if (typeof wanted === 'object') return wanted.text;
    return wanted === 'right' ? chosen.proofs.right[0]! : chosen.proofs.wrong[0]!;
  };
}
