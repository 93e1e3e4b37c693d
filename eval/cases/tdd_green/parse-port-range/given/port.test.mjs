import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostPort, parsePort } from './port.mjs';

test('a port number', () => {
  assert.equal(parsePort('8080'), 8080);
});

test('text that is not a number is refused', () => {
  assert.throws(() => parsePort('http'), { name: 'TypeError', message: /not a port/ });
  assert.throws(() => parsePort('-1'), { name: 'TypeError', message: /not a port/ });
  assert.throws(() => parsePort(''), { name: 'TypeError', message: /not a port/ });
});

test('host and port', () => {
  assert.deepEqual(parseHostPort('db.internal:5432'), { host: 'db.internal', port: 5432 });
  assert.deepEqual(parseHostPort('db.internal'), { host: 'db.internal', port: 80 });
});

test('a number outside 1–65535 is refused', () => {
  assert.throws(() => parsePort('0'), { name: 'RangeError', message: /out of range/ });
  assert.throws(() => parsePort('65536'), { name: 'RangeError', message: /out of range/ });
  assert.equal(parsePort('65535'), 65535);
});
