/** The invoice's due date as the page shows it: YYYY-MM-DD. */
export function dueDate(invoice) {
  const date = new Date(invoice.due); // "2026-04-01" is read as midnight UTC
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return `${date.getFullYear()}-${month}-${day}`;
}
