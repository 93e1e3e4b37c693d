/** `url` (absolute, or a path such as "/search") with `params` added as its query string. */
export function withQuery(url, params) {
  const query = new URLSearchParams(params).toString();
  return query === '' ? url : `${url}?${query}`;
}
