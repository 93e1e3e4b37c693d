import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUserLoader } from './user-loader.mjs';

/** A fake of the users API: answers at once and remembers the ids it was asked for. */
function fakeApi() {
  const calls = [];
  const fetchUser = async (id) => {
    calls.push(id);
    return { id, name: `user ${id}` };
  };
  return { calls, fetchUser };
}

test('loads a user', async () => {
  const { fetchUser } = fakeApi();
  const load = createUserLoader(fetchUser);
  assert.deepEqual(await load(7), { id: 7, name: 'user 7' });
});

test('a user loaded once is not fetched again', async () => {
  const { calls, fetchUser } = fakeApi();
  const load = createUserLoader(fetchUser);
  await load(7);
  await load(7);
  assert.deepEqual(calls, [7]);
});

test('each id is fetched for itself', async () => {
  const { calls, fetchUser } = fakeApi();
  const load = createUserLoader(fetchUser);
  assert.equal((await load(1)).name, 'user 1');
  assert.equal((await load(2)).name, 'user 2');
  assert.deepEqual(calls, [1, 2]);
});

test('loads of the same id at the same time share one fetch', async () => {
  const { calls, fetchUser } = fakeApi();
  const load = createUserLoader(fetchUser);
  const [first, second] = await Promise.all([load(7), load(7)]);
  assert.deepEqual(calls, [7]);
  assert.equal(first, second);
});
