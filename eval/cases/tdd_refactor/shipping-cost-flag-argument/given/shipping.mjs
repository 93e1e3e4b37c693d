/** Shipping in euros for a parcel's weight; `express` picks the next-day tariff. */
export function shippingCost(weightKg, express) {
  let cost;
  if (express) {
    cost = 12 + weightKg * 3;
    if (weightKg > 20) {
      cost += 25;
    }
  } else {
    cost = 4 + weightKg * 1.5;
    if (weightKg > 20) {
      cost += 10;
    }
  }
  return Math.round(cost * 100) / 100;
}

export function quote(order) {
  const weightKg = order.items.reduce((sum, item) => sum + item.weightKg * item.quantity, 0);
  return { weightKg, cost: shippingCost(weightKg, order.service === 'express') };
}
