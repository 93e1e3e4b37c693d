import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grossPrice, netPrice, vatAmount } from './vat.mjs';

test('the gross price adds 21% VAT', () => {
  assert.equal(grossPrice(100), 121);
  assert.equal(grossPrice(9.99), 12.09);
});

test('the VAT on a net price, in cents', () => {
  assert.equal(vatAmount(100), 21);
  assert.equal(vatAmount(9.99), 2.1);
});

test('the net price takes the VAT back out of a gross price', () => {
  assert.equal(netPrice(121), 100);
  assert.equal(netPrice(12.09), 9.99);
  assert.equal(netPrice(19.99), 16.52);
});

test('nothing costs nothing', () => {
  assert.equal(grossPrice(0), 0);
  assert.equal(vatAmount(0), 0);
  assert.equal(netPrice(0), 0);
});
