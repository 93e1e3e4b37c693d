/** The page size a user asked for, kept between 10 and 100; anything that is not a whole number gets 25. */
export function pageSize(requested) {
  const n = Number(requested);
  if (!Number.isInteger(n)) return 25;
  return Math.min(100, Math.max(10, n));
}
