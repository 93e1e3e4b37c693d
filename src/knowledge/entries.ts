/**
 * Drafted knowledge entries, read back from a model's answer: the trainer-writer's entries
 * (config/supervisor/trainer-writer.md: `# Topic`, a `type: · domain: · tags:` line, `## Lesson`,
 * `## When it applies`, `## Example`) and the retrospective's learnings
 * (config/supervisor/retrospective.md: `### <the learning>` and its Context/Evidence/Recommendation
 * bullets). Models do not follow a format to the letter, so the parsing is lenient where that costs
 * nothing (bold keys, other separators, a missing `---`) and bounded everywhere: a long or hostile
 * answer yields at most MAX_ENTRIES entries of at most ENTRY_BODY_CHARS each.
 */

/** The most entries one answer yields; the disciplines ask for a handful. */
export const MAX_ENTRIES = 20;
/** The most of an answer that is read. */
export const ANSWER_CHARS = 200_000;
/** An entry's body beyond this is cut (at a line end). */
export const ENTRY_BODY_CHARS = 8_000;
/** Titles are cut at a word within this (the brain accepts 300). */
const TITLE_CHARS = 200;
const MAX_TAGS = 8;

export interface DraftedEntry {
  title: string;
  /** The note type the entry gives (pattern, correction…), null when it gives none. */
  type: string | null;
  /** One lowercase word, null when the entry gives none. */
  domain: string | null;
  tags: string[];
  /** The entry's sections as markdown: the note's content. */
  body: string;
  /** What the entry teaches, in short: what the brain is searched with for near duplicates. */
  lesson: string;
}

/** The trainer-writer's entries in a writer's answer, in order. */
export function parseTrainerEntries(answer: string): DraftedEntry[] {
  return blocksUnder(normalise(answer), 1)
    .map(trainerEntry)
    .filter((entry): entry is DraftedEntry => entry !== null)
    .slice(0, MAX_ENTRIES);
}

/** The retrospective's learnings in its answer, in order; each is saved as a note of type lesson. */
export function parseRetrospectiveLearnings(answer: string): DraftedEntry[] {
  return blocksUnder(normalise(answer), 3)
    .map(({ heading, lines }): DraftedEntry | null => {
      const title = cleanTitle(heading);
      const body = boundedBody(lines);
      if (!title || !body) return null;
      return { title, type: 'lesson', domain: null, tags: [], body, lesson: `${title}\n${recommendationText(body.split('\n'))}`.trim() };
    })
    .filter((entry): entry is DraftedEntry => entry !== null)
    .slice(0, MAX_ENTRIES);
}

/** `- **Recommendation**: …` (or Lesson), bold or not, as a bullet or not; the text may start on the next line. */
const RECOMMENDATION = /^\s*(?:(?:[-*+]|\d+[.)])\s+)?[*_]{0,2}(?:recommendation|lesson)[*_]{0,2}\s*:[*_]{0,2}\s*(.*)$/i;

/**
 * What a learning tells to do: its Recommendation (or Lesson) bullet with the lines it wraps onto, up to
 * the next bullet or a blank line. Context and Evidence are left out: they say when and why, and a
 * learning that only quotes its lesson as evidence has not drawn it (the eval's check reads this).
 */
function recommendationText(lines: string[]): string {
  const start = lines.findIndex((line) => RECOMMENDATION.test(line));
  if (start === -1) return '';
  const text = [RECOMMENDATION.exec(lines[start]!)![1]!];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || /^\s*([-*+]|\d+[.)])\s/.test(line) || /^\s{0,3}#/.test(line)) break;
    text.push(line.trim());
  }
  return text.join(' ').trim();
}

function normalise(answer: string): string[] {
  return answer.slice(0, ANSWER_CHARS).replace(/^\uFEFF/, '').split(/\r\n?|\n/);
}

interface Block {
  heading: string;
  lines: string[];
}

/**
 * The blocks that start with a heading of `level` (outside code fences), each up to the next heading
 * of that level or higher, a `---` line, or the answer's closing lines (**Skipped**, "N entries
 * ready", "N learnings"; see isClosingLine), whichever comes first.
 */
function blocksUnder(lines: string[], level: number): Block[] {
  const blocks: Block[] = [];
  let current: Block | null = null;
  let fence: string | null = null;
  for (const line of lines) {
    const fenceMark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fenceMark && (fence === null || fenceMark.startsWith(fence))) {
      fence = fence === null ? fenceMark : null;
      current?.lines.push(line);
      continue;
    }
    if (fence !== null) {
      current?.lines.push(line);
      continue;
    }
    // Before the headings: `# Skipped` closes the entries, it is not an entry of its own.
    if (isClosingLine(line)) {
      current = null;
      continue;
    }
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading && heading[1]!.length <= level) {
      current = heading[1]!.length === level ? { heading: heading[2]!, lines: [] } : null;
      if (current) blocks.push(current);
      continue;
    }
    if (/^\s*(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      current = null;
      continue;
    }
    current?.lines.push(line);
  }
  return blocks;
}

/**
 * The lines that close the answer's entries: the heading of the skipped candidates and the count. The
 * trainer-writer is told to list them "under **Skipped**", so the heading is that word as a label: in
 * bold (`**Skipped**`, `**Skipped:**`, `**Skipped candidates**: …`), followed by a colon (`Skipped:`,
 * `Skipped (scored below 3):`), or a heading of its own (`## Skipped`). A line of an entry that only
 * begins with the word ("skipped the migration on an empty database, which hid…", wrapped there) is
 * text of the entry: taking it for the heading cut the entry short.
 */
function isClosingLine(line: string): boolean {
  return (
    /^\s*(#{1,6}\s+)?(\*\*|__)\s*skipped\b([^*_\n]{0,60}?:\s*(\*\*|__)|[^*_\n]{0,60}?(\*\*|__)\s*([:\-–—]|$))/i.test(line) ||
    /^\s*(#{1,6}\s+)?skipped(\s+(candidates|entries|learnings?|moments))?\s*(\([^)\n]{0,80}\))?\s*:/i.test(line) ||
    /^\s*#{1,6}\s+skipped(\s+(candidates|entries|learnings?|moments))?\s*(\([^)\n]{0,80}\))?\s*#*\s*$/i.test(line) ||
    /^\s*\**\s*\d+\s+(entr(y|ies)\s+ready\b|learnings?\s*\**\s*\.?\s*$)/i.test(line)
  );
}

function trainerEntry({ heading, lines }: Block): DraftedEntry | null {
  const title = cleanTitle(heading.replace(/^topic\s*:\s*/i, ''));
  // The fields line (or lines) sits between the title and the first section.
  const firstSection = lines.findIndex((line) => /^\s{0,3}##\s/.test(line));
  const head = (firstSection === -1 ? lines : lines.slice(0, firstSection)).join('\n');
  const sections = firstSection === -1 ? lines.filter((line) => !isFieldsLine(line)) : lines.slice(firstSection);
  const body = boundedBody(sections);
  if (!title || !body) return null;
  const lesson = sectionText(sections, /^lesson$/i) ?? body.slice(0, 600);
  return {
    title,
    type: word(field(head, 'type')),
    domain: word(field(head, 'domain')),
    tags: tagList(field(head, 'tags')),
    body,
    lesson: `${title}\n${lesson}`,
  };
}

const isFieldsLine = (line: string) => /^\s*\**\s*(type|domain|tags)\s*\**\s*:/i.test(line);

/** A `key: value` of the fields line, whatever separates the fields (·, |, ;, a line end). */
function field(head: string, key: string): string | null {
  const match = new RegExp(`(?:^|[\\s·|;,*_])${key}\\s*[*_]*\\s*:\\s*[*_]*\\s*([^·|;\\n]*)`, 'i').exec(head);
  return match ? match[1]!.replace(/[*_`]+/g, '').trim() || null : null;
}

/** The first word of a field, lowercase, letters, digits and dashes only: `pattern`, `ci-cd`. */
function word(value: string | null): string | null {
  const first = value?.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}-]*/u)?.[0];
  return first ? first.slice(0, 50) : null;
}

function tagList(value: string | null): string[] {
  if (!value) return [];
  const parts = value.replace(/[[\]]/g, '').split(value.includes(',') ? ',' : /\s+/);
  const tags = parts.map((tag) => tag.trim().replace(/^#/, '').toLowerCase().slice(0, 50)).filter((tag) => /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u.test(tag));
  return [...new Set(tags)].slice(0, MAX_TAGS);
}

/** A heading as a note title: markup and control characters out, on one line, cut at a word. */
function cleanTitle(heading: string): string {
  const title = heading
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\*\*|__|`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (title.length <= TITLE_CHARS) return title;
  // Never half of a character outside the BMP (a 4-byte script, an emoji): a lone surrogate is no text.
  const cut = title.slice(0, TITLE_CHARS - 1).replace(/[\ud800-\udbff]$/, '');
  const space = cut.lastIndexOf(' ');
  return `${space > TITLE_CHARS / 2 ? cut.slice(0, space) : cut}…`;
}

function boundedBody(lines: string[]): string {
  const text = lines.join('\n').trim();
  if (text.length <= ENTRY_BODY_CHARS) return text;
  const cut = text.slice(0, ENTRY_BODY_CHARS);
  return cut.slice(0, Math.max(cut.lastIndexOf('\n'), ENTRY_BODY_CHARS / 2)).trimEnd();
}

/** The text of the first `## <name>` section, or null. */
function sectionText(lines: string[], name: RegExp): string | null {
  const start = lines.findIndex((line) => {
    const heading = /^\s{0,3}##\s+(.*?)\s*#*\s*$/.exec(line);
    return heading !== null && name.test(heading[1]!.replace(/[*_]/g, '').trim());
  });
  if (start === -1) return null;
  const end = lines.findIndex((line, i) => i > start && /^\s{0,3}##\s/.test(line));
  const text = lines.slice(start + 1, end === -1 ? undefined : end).join('\n').trim();
  return text || null;
}
