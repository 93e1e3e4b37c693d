/**
 * The bounds every frontmatter is held to (docs/brain.md, "Limits"), and the check of one field's
 * value against them. Shared: the brain contract refuses a write whose field values could not be
 * written within these bounds, and ingestion/frontmatter.ts refuses notes over them when it reads.
 */

/** The bounds every frontmatter is held to (docs/brain.md, "Limits"). */
export const FRONTMATTER_LIMITS = {
  /**
   * The YAML block between the fences, in UTF-8 bytes. Real notes hold a few hundred; editing one
   * (the yaml package, which keeps comments) costs about 2 µs a byte on the event loop, so 16 KiB
   * keeps the worst write that sets fields near 30 ms.
   */
  bytes: 16 * 1024,
  /** The values once every alias is expanded, measured as the characters of their JSON. */
  expandedChars: 256 * 1024,
  /** Lists and mappings inside one another. */
  depth: 64,
} as const;

/** A frontmatter that is valid YAML but over one of the bounds; the message names the bound. */
export class FrontmatterRefused extends Error {}

/**
 * The characters `value` takes as JSON with every alias expanded, found without expanding: each
 * shared object is measured once. Throws FrontmatterRefused past a bound or on a cycle.
 */
export function expandedSize(value: unknown, measured: Map<object, number>, open: Set<object>, depth: number): number {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? value.length + 2 : String(value).length;
  const known = measured.get(value);
  if (known !== undefined) return known;
  if (open.has(value)) throw new FrontmatterRefused('frontmatter has an alias (*name) inside its own anchor (&name); recursive values are not supported');
  if (depth >= FRONTMATTER_LIMITS.depth) throw new FrontmatterRefused(`frontmatter nests deeper than ${FRONTMATTER_LIMITS.depth} levels; at most ${FRONTMATTER_LIMITS.depth}`);
  open.add(value);
  let size = 2;
  for (const [key, inner] of Array.isArray(value) ? value.map((item) => ['', item] as const) : Object.entries(value)) {
    size += key.length + 4 + expandedSize(inner, measured, open, depth + 1);
    if (size > FRONTMATTER_LIMITS.expandedChars) {
      throw new FrontmatterRefused(
        `frontmatter expands to more than ${kib(FRONTMATTER_LIMITS.expandedChars)} through YAML aliases (*name); at most ${kib(FRONTMATTER_LIMITS.expandedChars)} expanded`,
      );
    }
  }
  open.delete(value);
  measured.set(value, size);
  return size;
}

/**
 * Why a value given for a frontmatter field could not be written within FRONTMATTER_LIMITS (too
 * deep, too large), or null. Checked before the value is turned into YAML, which recurses.
 */
export function fieldValueProblem(value: unknown): string | null {
  try {
    expandedSize(value, new Map(), new Set(), 0);
    return null;
  } catch (error) {
    if (error instanceof FrontmatterRefused) return error.message.replace(/ through YAML aliases \(\*name\)/, '');
    throw error;
  }
}

export function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`;
}
