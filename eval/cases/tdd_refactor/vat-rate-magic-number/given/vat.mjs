/** Prices for the Dutch shop: amounts in euros, rounded to cents. */
export function grossPrice(net) {
  return Math.round(net * (1 + 0.21) * 100) / 100;
}

export function vatAmount(net) {
  return Math.round(net * 0.21 * 100) / 100;
}

export function netPrice(gross) {
  return Math.round((gross / (1 + 0.21)) * 100) / 100;
}
