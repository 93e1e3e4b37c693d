/** The order --suggest-chains gives a skill's models: evidence first, speed where evidence cannot tell. */
import { describe, expect, it } from 'vitest';
import { orderByEvidence } from '../src/eval/chains.js';
import { wilson, type Score } from '../src/eval/scoreboard.js';

const score = (model: string, passed: number, total: number, p50: number): Score => ({
  model,
  skill: 'review',
  passed,
  failed: total - passed,
  total,
  rate: passed / total,
  interval: wilson(passed, total),
  latency_ms: { p50, p95: p50 },
  tokens: null,
});

describe('orderByEvidence', () => {
  it('puts the faster model first when each rate lies within the other model\'s interval', () => {
    expect(orderByEvidence([score('slow', 4, 5, 9000), score('fast', 3, 5, 2000)]).map((s) => s.model)).toEqual(['fast', 'slow']);
  });

  it('keeps the better model first when the evidence tells them apart, however slow it is', () => {
    expect(orderByEvidence([score('fast', 8, 40, 1000), score('slow', 38, 40, 30_000)]).map((s) => s.model)).toEqual(['slow', 'fast']);
    // 5/5 against 2/5: 100% is outside 2/5's interval (12%–77%).
    expect(orderByEvidence([score('fast', 2, 5, 10), score('slow', 5, 5, 20)]).map((s) => s.model)).toEqual(['slow', 'fast']);
  });

  it('leaves out a model that passed nothing', () => {
    expect(orderByEvidence([score('none', 0, 5, 10), score('some', 1, 5, 9000)]).map((s) => s.model)).toEqual(['some']);
  });

  it('gives the Wilson interval a handful of cases leaves', () => {
    const [low, high] = wilson(4, 5);
    expect([Math.round(low * 100), Math.round(high * 100)]).toEqual([38, 96]);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });
});
