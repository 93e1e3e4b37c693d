const DEFAULT_FILTER = { status: 'open', tags: [], limit: 20 };

/** The search filter for one request, from its parsed query string. */
export function buildFilter(query) {
  const filter = { ...DEFAULT_FILTER };
  if (query.status) filter.status = query.status;
  for (const tag of [].concat(query.tag ?? [])) filter.tags.push(tag);
  if (query.limit) filter.limit = Math.min(Number(query.limit), 100);
  return filter;
}
