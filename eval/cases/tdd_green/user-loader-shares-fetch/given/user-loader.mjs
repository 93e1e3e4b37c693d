/** Loads users through `fetchUser(id)`, which returns a promise; each user is fetched once. */
export function createUserLoader(fetchUser) {
  const users = new Map();
  return async function load(id) {
    if (!users.has(id)) users.set(id, await fetchUser(id));
    return users.get(id);
  };
}
