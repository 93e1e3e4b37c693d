export function lineTotal(line) {
  let t = line.price * line.quantity;
  if (line.discountPercent) {
    t = t - (t * line.discountPercent) / 100;
  }
  return Math.round(t * 100) / 100;
}

export function cartTotal(lines) {
  let sum = 0;
  for (const line of lines) {
    let t = line.price * line.quantity;
    if (line.discountPercent) {
      t = t - (t * line.discountPercent) / 100;
    }
    sum += Math.round(t * 100) / 100;
  }
  return Math.round(sum * 100) / 100;
}
