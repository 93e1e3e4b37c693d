const SIZES = new Map([
  ['small', { width: 128, height: 128 }],
  ['medium', { width: 320, height: 240 }],
  ['large', { width: 800, height: 600 }],
]);

/** The pixel box of a named thumbnail size; an unknown name is refused. */
export function thumbSize(name) {
  const size = SIZES.get(name);
  if (!size) throw new RangeError(`unknown thumbnail size: ${name}`);
  return { ...size };
}
