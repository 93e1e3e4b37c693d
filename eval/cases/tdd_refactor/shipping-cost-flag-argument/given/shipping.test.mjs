import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quote, shippingCost } from './shipping.mjs';

test('standard shipping: a base fee and a rate per kilo', () => {
  assert.equal(shippingCost(2, false), 7);
  assert.equal(shippingCost(0.5, false), 4.75);
});

test('express shipping costs more', () => {
  assert.equal(shippingCost(2, true), 18);
});

test('a parcel of exactly 20 kg pays no heavy-parcel surcharge', () => {
  assert.equal(shippingCost(20, false), 34);
  assert.equal(shippingCost(20, true), 72);
});

test('a parcel over 20 kg pays the heavy-parcel surcharge', () => {
  assert.equal(shippingCost(21, false), 45.5);
  assert.equal(shippingCost(21, true), 100);
});

test('a quote weighs the order and prices its service', () => {
  const items = [{ weightKg: 1.5, quantity: 2 }, { weightKg: 1, quantity: 1 }];
  assert.deepEqual(quote({ items, service: 'standard' }), { weightKg: 4, cost: 10 });
  assert.deepEqual(quote({ items, service: 'express' }), { weightKg: 4, cost: 24 });
});
