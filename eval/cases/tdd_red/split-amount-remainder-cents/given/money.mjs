/** Splits an amount in cents into `parts` shares, in cents. */
export function splitAmount(cents, parts) {
  const share = Math.floor(cents / parts);
  return Array.from({ length: parts }, () => share);
}
