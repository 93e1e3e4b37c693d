/** Splits an amount in cents into `parts` shares, in cents: the leftover cents go to the first shares. */
export function splitAmount(cents, parts) {
  const share = Math.floor(cents / parts);
  const leftover = cents - share * parts;
  return Array.from({ length: parts }, (_, i) => share + (i < leftover ? 1 : 0));
}
