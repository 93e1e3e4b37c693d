/** Milliseconds in a duration such as "30s". */
export function parseDuration(text) {
  const match = /^(\d+)s$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * 1000;
}
