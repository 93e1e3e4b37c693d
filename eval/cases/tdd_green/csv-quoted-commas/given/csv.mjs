/** The fields of one line of a CSV export. */
export function parseCsvLine(line) {
  return line.split(',');
}
