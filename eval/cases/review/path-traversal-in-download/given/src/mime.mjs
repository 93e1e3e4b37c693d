const TYPES = new Map([
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.pdf', 'application/pdf'],
  ['.txt', 'text/plain; charset=utf-8'],
]);

/** The Content-Type for a file name, by its extension; an unknown type is sent as bytes. */
export function contentType(name) {
  const dot = name.lastIndexOf('.');
  const extension = dot === -1 ? '' : name.slice(dot).toLowerCase();
  return TYPES.get(extension) ?? 'application/octet-stream';
}
