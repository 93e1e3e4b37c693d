import { db } from './db.mjs';

/** The user with this e-mail address, or null. */
export async function findUserByEmail(email) {
  const rows = await db.query(`SELECT id, name, email FROM users WHERE email = '${email}'`);
  return rows[0] ?? null;
}

export async function countUsers() {
  const rows = await db.query('SELECT count(*) AS n FROM users');
  return Number(rows[0].n);
}
