import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsvLine } from './csv.mjs';

test('fields are separated by commas', () => {
  assert.deepEqual(parseCsvLine('7,Jane,Utrecht'), ['7', 'Jane', 'Utrecht']);
});

test('empty fields are kept', () => {
  assert.deepEqual(parseCsvLine('7,,Utrecht,'), ['7', '', 'Utrecht', '']);
});

test('a quoted field may hold commas', () => {
  assert.deepEqual(parseCsvLine('"Smith, Jane",42'), ['Smith, Jane', '42']);
  assert.deepEqual(parseCsvLine('7,"Main St, 4",Utrecht'), ['7', 'Main St, 4', 'Utrecht']);
});
