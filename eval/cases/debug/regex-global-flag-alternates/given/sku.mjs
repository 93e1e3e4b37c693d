const SKU = /^[A-Z]{2,4}-\d{4}$/g;

/** True when the code is a valid SKU: 2 to 4 capitals, a hyphen, 4 digits. */
export function isValidSku(code) {
  return SKU.test(code.trim());
}

export class ValidationError extends Error {}

/** Every row's SKU checked; the errors name the CSV line (line 1 is the header). */
export function validateRows(rows) {
  const errors = [];
  for (const [i, row] of rows.entries()) {
    if (!isValidSku(row.sku)) errors.push(new ValidationError(`row ${i + 2}: invalid SKU "${row.sku}"`));
  }
  return errors;
}
