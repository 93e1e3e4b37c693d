/** How `supervisor eval --panel` compares a panel with the best single model: same cases, rate first, speed on a tie. */
import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../src/eval/runner.js';
import { panelLine, scoreboard } from '../src/eval/scoreboard.js';

const PANEL = 'panel(a+b)';
/** `passed` of `total` runs of one contestant on cases r0…, each taking `ms`. */
const runs = (model: string, skill: CaseResult['skill'], passed: number, total: number, ms: number): CaseResult[] =>
  Array.from({ length: total }, (_, i) => ({ case: `${skill}/c${i}`, skill, model, run: 1, passed: i < passed, answered: true, reason: '', latency_ms: ms, tokens: null }));

const board = (results: CaseResult[], models: string[]) =>
  scoreboard(results, { litellm: 'http://x', repeat: 1, models: [...models, PANEL], panels: [{ label: PANEL, models: ['a', 'b'] }] });

describe('a panel against the best single model', () => {
  it('compares on the panel\'s own case runs only: a model\'s other skills do not count', () => {
    const results = [...runs('a', 'review', 2, 5, 100), ...runs('a', 'tdd_red', 5, 5, 100), ...runs(PANEL, 'review', 5, 5, 300)];
    const [c] = board(results, ['a']).panels!;
    expect(c).toMatchObject({ best: { model: 'a', passed: 2, total: 5 }, panel: { passed: 5, total: 5, models: ['a', 'b'] }, verdict: 'better', distinct: true, latency_ratio: 3 });
    expect(panelLine(c!)).toBe('panel(a+b) on review: 5/5 (100%, p50 0.30 s) against the best single model, a: 2/5 (40%, p50 0.10 s): better, at 3.00× its latency');
  });

  it('takes the faster of two singles with the same rate, and says when the rates cannot be told apart', () => {
    const results = [...runs('slow', 'debug', 4, 5, 900), ...runs('fast', 'debug', 4, 5, 200), ...runs(PANEL, 'debug', 5, 5, 400)];
    const [c] = board(results, ['slow', 'fast']).panels!;
    expect(c).toMatchObject({ best: { model: 'fast' }, verdict: 'better', distinct: false, latency_ratio: 2 });
    expect(panelLine(c!)).toContain("better (not yet a difference: a rate lies within the other's 95% interval), at 2.00× its latency");
  });

  it('says worse and same plainly, and when no single model ran the cases', () => {
    expect(board([...runs('a', 'review', 5, 5, 100), ...runs(PANEL, 'review', 3, 5, 100)], ['a']).panels![0]).toMatchObject({ verdict: 'worse' });
    expect(board([...runs('a', 'review', 3, 5, 100), ...runs(PANEL, 'review', 3, 5, 100)], ['a']).panels![0]).toMatchObject({ verdict: 'same', latency_ratio: 1 });
    const [alone] = board([...runs('a', 'spec', 3, 5, 100), ...runs(PANEL, 'review', 3, 5, 100)], ['a']).panels!;
    expect(alone).toMatchObject({ best: null, verdict: null, latency_ratio: null });
    expect(panelLine(alone!)).toBe('panel(a+b) on review: 3/5 (60%, p50 0.10 s); no single model ran these cases to compare with');
  });

  it('keeps panels out of a board that has none', () => {
    expect(scoreboard(runs('a', 'review', 1, 1, 10), { litellm: 'x', repeat: 1, models: ['a'] })).not.toHaveProperty('panels');
  });
});
