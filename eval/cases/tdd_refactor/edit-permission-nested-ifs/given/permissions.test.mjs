import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canEdit } from './permissions.mjs';

const ada = { id: 'u1', role: 'member' };
const bob = { id: 'u2', role: 'member' };
const root = { id: 'u9', role: 'admin' };
const doc = { ownerId: 'u1', editors: ['u3'], archived: false };

test('a signed-out visitor edits nothing', () => {
  assert.equal(canEdit(null, doc), false);
});

test('the owner, an editor and an admin may edit', () => {
  assert.equal(canEdit(ada, doc), true);
  assert.equal(canEdit({ id: 'u3', role: 'member' }, doc), true);
  assert.equal(canEdit(root, doc), true);
});

test('anyone else may not', () => {
  assert.equal(canEdit(bob, doc), false);
  assert.equal(canEdit(bob, { ownerId: 'u1', archived: false }), false);
});

test('an archived document is read-only, even for its owner and for admins', () => {
  const archived = { ...doc, archived: true };
  assert.equal(canEdit(ada, archived), false);
  assert.equal(canEdit(root, archived), false);
});
