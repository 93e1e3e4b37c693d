import { loadOrder } from './orders.mjs';
import { sendMail } from './mail.mjs';

/** Emails the receipt for a paid order. Called from the payment webhook. */
export async function sendReceipt(orderId) {
  const order = loadOrder(orderId);
  const to = order.customer.email;
  const lines = order.items.map((item) => `${item.name}  ${item.quantity} x ${item.price}`);
  await sendMail({ to, subject: `Receipt for order ${orderId}`, text: lines.join('\n') });
}
