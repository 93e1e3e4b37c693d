/**
 * Reading and writing a note's YAML frontmatter, safely.
 *
 * The fences are found here and js-yaml parses the block between them (its core schema: no
 * JavaScript types, and dates stay the strings they were written as; ~5 µs a note against ~50 µs
 * for the yaml package, which matters when 100k notes are indexed). Edits go through the yaml
 * package, whose documents keep comments and formatting. Only YAML is ever read: a fence naming
 * another language (`---js`) leaves the frontmatter unread, so no note can run code (gray-matter,
 * which split the fences before, evaluates `---js` by default; docs/brain.md says why it went).
 *
 * YAML anchors and aliases (`&a` … `*a`) make a few hundred bytes stand for gigabytes ("billion
 * laughs"): js-yaml shares the aliased objects, so parsing is quick, but anything that walks the
 * values (JSON for GET /notes) expands them. Every parse therefore bounds the frontmatter's size,
 * its expanded size and its depth, and refuses an alias inside its own anchor (a cycle); a note
 * over a bound is treated like one with broken YAML (body only, with the reason as `problem`).
 *
 * Notes are read as a text editor would: a UTF-8 byte order mark is skipped and CRLF line ends
 * are line ends (no `\r` left in values); an edit keeps the note's BOM and line ends.
 */
import jsYaml from 'js-yaml';
import YAML from 'yaml';
import { expandedSize, FRONTMATTER_LIMITS, FrontmatterRefused, kib } from '../common/frontmatter-bounds.js';
import { tagList } from '../common/tags.js';

export type Frontmatter = Record<string, unknown>;

export interface ParsedNote {
  data: Frontmatter;
  /** The text after the frontmatter block (all of it when there is none), line ends as written. */
  body: string;
  /** The YAML between the fences, with \n line ends; null when the note has no valid frontmatter. */
  yaml: string | null;
  /** Why the frontmatter was not usable; the body is still good. */
  problem?: string;
  /** How the note's frontmatter ends its lines, kept when it is rewritten. */
  eol?: '\n' | '\r\n';
  /** The note started with a UTF-8 byte order mark, kept when it is rewritten. */
  bom?: boolean;
}

/** `---`, optionally naming a language (`---yaml`), alone on the note's first line. */
const OPENING_FENCE = /^---[ \t]*([^\s-][^\n]*?)?[ \t]*\r?\n/;
/** Where the frontmatter ends: the first line that starts with `---` (gray-matter's rule, kept). */
const CLOSING_FENCE = '\n---';
const BOM = '\uFEFF';

/**
 * Splits the note at its fences and parses the block between them as YAML (js-yaml's core schema,
 * within FRONTMATTER_LIMITS). No other language is read: a fence that names one (`---js`, `--- coffee`)
 * leaves the note's frontmatter unread, so no note can make the service evaluate code.
 */
export function parseNote(original: string): ParsedNote {
  const bom = original.startsWith(BOM);
  const text = bom ? original.slice(1) : original;
  const fence = OPENING_FENCE.exec(text);
  if (!fence) return { data: {}, body: text, yaml: null, bom };
  const eol = fence[0].endsWith('\r\n') ? '\r\n' : '\n';
  const found = { bom, eol } as const;
  const language = fence[1]?.trim();
  if (language && !/^ya?ml$/i.test(language)) {
    return { data: {}, body: withoutFrontmatter(text), yaml: null, problem: `frontmatter language "${language}" is not YAML`, ...found };
  }
  // From the line end of the opening fence, so an empty block ("---\n---") closes at once.
  const start = fence[0].length - (eol === '\r\n' ? 2 : 1);
  const closing = text.indexOf(CLOSING_FENCE, start);
  // No closing fence: all of the rest is frontmatter, and the body is empty.
  const end = closing === -1 ? text.length : closing;
  const body = closing === -1 ? '' : text.slice(end + CLOSING_FENCE.length).replace(/^\r?\n?/, '');
  const yaml = text.slice(fence[0].length, end).replace(/\r\n?/g, '\n');
  let data: unknown;
  try {
    data = parseBoundedYaml(yaml);
  } catch (error) {
    const problem = error instanceof FrontmatterRefused ? error.message : `frontmatter is not valid YAML: ${firstLine(error)}`;
    return { data: {}, body: withoutFrontmatter(text), yaml: null, problem, ...found };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { data: {}, body, yaml: null, problem: 'frontmatter is not a mapping of keys to values', ...found };
  }
  return { data: data as Frontmatter, body, yaml, ...found };
}

/**
 * js-yaml's core schema, within FRONTMATTER_LIMITS; throws FrontmatterRefused naming the bound. A
 * block with no value (blank, comments only, `null`) is an empty mapping, as it was with gray-matter.
 */
function parseBoundedYaml(yaml: string): unknown {
  const bytes = Buffer.byteLength(yaml);
  if (bytes > FRONTMATTER_LIMITS.bytes) {
    throw new FrontmatterRefused(`frontmatter is larger than ${kib(FRONTMATTER_LIMITS.bytes)} (${kib(bytes)}); at most ${kib(FRONTMATTER_LIMITS.bytes)}`);
  }
  if (yaml.replace(/^\s*#[^\n]+/gm, '').trim() === '') return {};
  // A line for the opening fence, so the line numbers of a YAML error are the note's own.
  const data: unknown = jsYaml.load(`\n${yaml}`, { schema: jsYaml.CORE_SCHEMA }) ?? {};
  expandedSize(data, new Map(), new Set(), 0);
  return data;
}

/** The body of a note whose frontmatter could not be read: the text after the closing fence, if any. */
function withoutFrontmatter(text: string): string {
  const afterOpening = text.indexOf('\n') + 1;
  const closing = /^---[ \t]*$/m.exec(text.slice(afterOpening));
  if (!closing) return text;
  return text.slice(afterOpening + closing.index + closing[0].length).replace(/^\r?\n/, '');
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0] ?? '';
}

/**
 * The note text with `fields` set in its frontmatter. Keys not in `fields` keep their order,
 * comments and formatting; with no fields the text comes back unchanged.
 */
export function withFields(note: ParsedNote, fields: Frontmatter): string {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return note.yaml === null ? note.body : joinNote(note.yaml, note);
  // Only notes whose frontmatter passed FRONTMATTER_LIMITS get here, and the document is edited and
  // printed without resolving its aliases (they stay `*name` as written). Never call toJS on it
  // without the yaml package's own cap (`maxAliasCount`).
  // uniqueKeys off: js-yaml already refused duplicate keys when the note was parsed, and the yaml
  // package's own check compares every key with every other (quadratic in the number of keys).
  const doc = note.yaml === null ? new YAML.Document({}) : YAML.parseDocument(note.yaml, { uniqueKeys: false });
  for (const [key, value] of entries) doc.set(key, value);
  return joinNote(doc.toString({ lineWidth: 0 }), note);
}

function joinNote(yaml: string, { body, eol = '\n', bom = false }: Pick<ParsedNote, 'body' | 'eol' | 'bom'>): string {
  const block = yaml.endsWith('\n') ? yaml : `${yaml}\n`;
  const text = `---\n${block}---\n`;
  return `${bom ? BOM : ''}${eol === '\n' ? text : text.replace(/\n/g, eol)}${body}`;
}

/** A note's title: frontmatter `title`, else its first `# heading`, else its file name. */
export function noteTitle(data: Frontmatter, body: string, path: string): string {
  const fromData = typeof data.title === 'string' || typeof data.title === 'number' ? String(data.title).trim() : '';
  if (fromData) return fromData;
  const heading = /^#[ \t]+(.+?)[ \t#]*$/m.exec(body)?.[1]?.trim();
  if (heading) return heading;
  return (path.split('/').pop() ?? path).replace(/\.md$/, '');
}

/**
 * Tags as a list, whether written as a YAML list or a comma-separated string: split by the
 * contract's own rule, the one its tag limits count by.
 */
export const noteTags = tagList;

export function scalarField(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' ? String(value).trim() || null : null;
}
