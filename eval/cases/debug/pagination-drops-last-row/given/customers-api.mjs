/** GET /customers?page=N (1-based): one page of the account's customers, sorted by id. */
export function pageOf(customers, page, pageSize = 50) {
  const start = (page - 1) * pageSize;
  const end = start + pageSize - 1; // index of the page's last customer
  return {
    items: customers.slice(start, end),
    hasMore: end < customers.length - 1,
  };
}
