import { db } from './db.mjs';

/** One order with its customer and items. Since 3.2 read from Postgres (was an in-memory Map). */
export async function loadOrder(id) {
  const { rows } = await db.query(
    `SELECT o.id, c.email, i.name, i.quantity, i.price
       FROM orders o JOIN customers c ON c.id = o.customer_id JOIN order_items i ON i.order_id = o.id
      WHERE o.id = $1`,
    [id],
  );
  if (rows.length === 0) throw new Error(`order ${id} not found`);
  return {
    id: rows[0].id,
    customer: { email: rows[0].email },
    items: rows.map(({ name, quantity, price }) => ({ name, quantity, price })),
  };
}
