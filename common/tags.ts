/**
 * Tags as the brain reads them: a list as given, or a string split at its commas; each trimmed, one
 * leading `#` dropped, empty ones left out. Numbers count as tags (YAML reads `tags: [2024]` as one);
 * anything else is left out. Notes' frontmatter (ingestion/frontmatter.ts) and the contract's tag
 * limits (brain-contract.ts) split the same way, so a string cannot name more tags than a list may
 * hold. Imports nothing: the index worker reads every note's tags with it.
 */
export function tagList(value: unknown): string[] {
  const raw: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return raw
    .filter((tag): tag is string | number => typeof tag === 'string' || typeof tag === 'number')
    .map((tag) => String(tag).trim().replace(/^#/, ''))
    .filter((tag) => tag.length > 0);
}
