/**
 * Cutting text by its UTF-8 size: note names are limited in bytes (a filesystem's 255 per name), and
 * a character may take 1 to 4 of them. Shared by the brain's generated names (ingestion/note-names.ts)
 * and the names `save: true` gives new notes (src/knowledge/save.ts).
 */

/** The longest start of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
export function cutToBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}
