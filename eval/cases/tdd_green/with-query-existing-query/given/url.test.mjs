import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withQuery } from './url.mjs';

test('adds the parameters as a query string', () => {
  assert.equal(withQuery('/search', { q: 'red shoes', page: 2 }), '/search?q=red+shoes&page=2');
});

test('no parameters, no question mark', () => {
  assert.equal(withQuery('/search', {}), '/search');
});

test('joins a query the URL already has', () => {
  assert.equal(withQuery('/search?q=shoes', { page: 2 }), '/search?q=shoes&page=2');
  assert.equal(withQuery('https://shop.example/list?sort=price', { page: 3 }), 'https://shop.example/list?sort=price&page=3');
});
