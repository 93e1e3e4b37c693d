/**
 * `--suggest-chains`: the models.yaml chains a scoreboard supports, as a unified diff of the user's
 * file — applied by the user (`patch -p1`, or by hand), never written here. Per skill, the models that
 * passed anything, best pass rate first; where each of two models' rates lies within the other's
 * interval, the evidence cannot tell them apart and the faster one goes first. Models of the current chain
 * the run did not score stay behind them as fallbacks, in their order.
 */
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { indistinct, type Score, type Scoreboard } from './scoreboard.js';

/** The tdd tools share the `tdd` family key; each may have its own. */
const FAMILY: Record<string, string> = { tdd_red: 'tdd', tdd_green: 'tdd', tdd_refactor: 'tdd' };

const p50 = (s: Score) => s.latency_ms?.p50 ?? Infinity;

/** The skill's scored models in the order the evidence supports (those that never passed left out). */
export function orderByEvidence(scores: readonly Score[]): Score[] {
  const order = scores.filter((s) => s.passed > 0).sort((a, b) => b.rate - a.rate || p50(a) - p50(b));
  // Bubble the faster model ahead of a neighbour it cannot be told apart from: each swap puts two
  // models into latency order, so the passes end.
  for (let swapped = true; swapped; ) {
    swapped = false;
    for (let i = 0; i + 1 < order.length; i++) {
      const [a, b] = [order[i]!, order[i + 1]!];
      if (indistinct(a, b) && p50(b) < p50(a)) {
        [order[i], order[i + 1]] = [b, a];
        swapped = true;
      }
    }
  }
  return order;
}

export interface ChainSuggestion {
  /** The models.yaml key under `skills`. */
  key: string;
  chain: string[];
  /** Why, for people: each model's rate and p50. */
  because: string;
}

export function chainSuggestions(board: Scoreboard, currentChain: (key: string) => string[]): ChainSuggestion[] {
  // A panel is not a model a chain can name: its rows stay out.
  const panels = new Set((board.panels ?? []).map((c) => c.panel.model));
  const bySkill = new Map<string, Score[]>();
  for (const score of board.scores.filter((s) => !panels.has(s.model))) bySkill.set(score.skill, [...(bySkill.get(score.skill) ?? []), score]);
  const suggestions: ChainSuggestion[] = [];
  for (const [skill, scores] of bySkill) {
    const ordered = orderByEvidence(scores);
    if (ordered.length === 0) continue;
    const measured = ordered.map((s) => s.model);
    const unmeasured = currentChain(skill).filter((model) => !scores.some((s) => s.model === model));
    const because = ordered.map((s) => `${s.model} ${Math.round(s.rate * 100)}% (p50 ${s.latency_ms ? `${(s.latency_ms.p50 / 1000).toFixed(1)} s` : '–'})`).join(', ');
    suggestions.push({ key: skill, chain: [...measured, ...unmeasured], because });
  }
  // The three tdd tools with one order share the family's key, as the shipped file has it.
  const tdd = suggestions.filter((s) => FAMILY[s.key] === 'tdd');
  if (tdd.length === 3 && tdd.every((s) => s.chain.join() === tdd[0]!.chain.join())) {
    return [{ key: 'tdd', chain: tdd[0]!.chain, because: tdd.map((s) => `${s.key}: ${s.because}`).join('; ') }, ...suggestions.filter((s) => !tdd.includes(s))];
  }
  return suggestions;
}

/** The suggestions as comments and a unified diff of `modelsFile`, or a sentence saying there is nothing to change. */
export async function suggestChains(modelsFile: string, board: Scoreboard): Promise<string> {
  const before = (await readFile(modelsFile, 'utf8')).replace(/\r\n/g, '\n');
  const doc = YAML.parseDocument(before);
  const chainAt = (key: string): string[] => {
    const own = doc.getIn(['skills', key, 'chain']) ?? doc.getIn(['skills', FAMILY[key] ?? key, 'chain']) ?? doc.get('default_chain');
    return YAML.isSeq(own) ? own.items.map((item) => String(YAML.isScalar(item) ? item.value : item)) : [];
  };
  const suggestions = chainSuggestions(board, chainAt);
  if (suggestions.length === 0) return 'No chain to suggest: no model passed any case.\n';
  for (const suggestion of suggestions) {
    const node = doc.createNode(suggestion.chain);
    node.flow = true;
    doc.setIn(['skills', suggestion.key, 'chain'], node);
  }
  const after = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  const reasons = suggestions.map((s) => `# ${s.key}: ${s.because}`).join('\n');
  if (after === before) return `${reasons}\n# models.yaml already has these chains: nothing to change.\n`;
  return `${reasons}\n${unifiedDiff(before, after, 'models.yaml')}`;
}

/** A unified diff with three lines of context, for files of a few hundred lines (an LCS table). */
export function unifiedDiff(before: string, after: string, name: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Array<{ kind: ' ' | '-' | '+'; line: string; ai: number; bi: number }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: ' ', line: a[i]!, ai: i++, bi: j++ });
    else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: '-', line: a[i]!, ai: i++, bi: j });
    else ops.push({ kind: '+', line: b[j]!, ai: i, bi: j++ });
  }
  // Changes less than seven lines apart share a hunk; each hunk has three lines of context around it.
  const changed = ops.flatMap((op, k) => (op.kind === ' ' ? [] : [k]));
  const groups: Array<[number, number]> = [];
  for (const k of changed) {
    const last = groups.at(-1);
    if (last && k - last[1] <= 7) last[1] = k;
    else groups.push([k, k]);
  }
  const hunks = groups.map(([first, last]) => {
    const slice = ops.slice(Math.max(0, first - 3), Math.min(ops.length, last + 4));
    const oldCount = slice.filter((op) => op.kind !== '+').length;
    const newCount = slice.filter((op) => op.kind !== '-').length;
    return `@@ -${slice[0]!.ai + 1},${oldCount} +${slice[0]!.bi + 1},${newCount} @@\n${slice.map((op) => `${op.kind}${op.line}`).join('\n')}`;
  });
  return `--- a/${name}\n+++ b/${name}\n${hunks.join('\n')}\n`;
}
