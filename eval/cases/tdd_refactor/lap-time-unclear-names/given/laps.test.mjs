import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmt, fmtAll } from './laps.mjs';

test('under an hour: minutes and two-digit seconds', () => {
  assert.equal(fmt(0), '0:00');
  assert.equal(fmt(59), '0:59');
  assert.equal(fmt(61), '1:01');
  assert.equal(fmt(3599), '59:59');
});

test('an hour or more: hours, then two-digit minutes and seconds', () => {
  assert.equal(fmt(3600), '1:00:00');
  assert.equal(fmt(3725), '1:02:05');
  assert.equal(fmt(36000), '10:00:00');
});

test('the total of a session adds its laps', () => {
  assert.equal(fmtAll([]), '0:00');
  assert.equal(fmtAll([{ d: 95 }, { d: 100 }]), '3:15');
  assert.equal(fmtAll([{ d: 1800 }, { d: 1805 }]), '1:00:05');
});
