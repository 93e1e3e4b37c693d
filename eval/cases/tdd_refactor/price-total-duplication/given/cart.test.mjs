import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cartTotal, lineTotal } from './cart.mjs';

test('a line without discount', () => {
  assert.equal(lineTotal({ price: 2.5, quantity: 4 }), 10);
});

test('a line with a discount', () => {
  assert.equal(lineTotal({ price: 10, quantity: 3, discountPercent: 10 }), 27);
});

test('a cart adds its rounded lines', () => {
  assert.equal(cartTotal([{ price: 0.333, quantity: 1 }, { price: 0.333, quantity: 1 }]), 0.66);
  assert.equal(cartTotal([{ price: 10, quantity: 3, discountPercent: 10 }, { price: 1, quantity: 1 }]), 28);
});

test('an empty cart costs nothing', () => {
  assert.equal(cartTotal([]), 0);
});
