const DAY_MS = 24 * 60 * 60 * 1000;

/** The date `days` days after `date`; both are "YYYY-MM-DD", read as UTC calendar dates. */
export function addBusinessDays(date, days) {
  const start = Date.parse(`${date}T00:00:00Z`);
  return new Date(start + days * DAY_MS).toISOString().slice(0, 10);
}
