/** "Ada Lovelace <ada@example.com>", for the admin page's lists. */
export function displayName(user) {
  const name = String(user.name ?? '').trim();
  return name ? `${name} <${user.email}>` : user.email;
}
