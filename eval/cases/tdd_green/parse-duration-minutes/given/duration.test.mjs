import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from './duration.mjs';

test('seconds', () => {
  assert.equal(parseDuration('30s'), 30_000);
});

test('minutes', () => {
  assert.equal(parseDuration('2m'), 120_000);
});

test('anything else is refused', () => {
  assert.throws(() => parseDuration('2 hours'), /not a duration/);
});
