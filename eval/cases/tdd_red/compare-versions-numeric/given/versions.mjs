/** Orders version strings such as "1.4.2": negative, zero or positive, for Array.prototype.sort. */
export function compareVersions(a, b) {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
