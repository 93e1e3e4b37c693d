/**
 * Reading and writing a note's YAML frontmatter, safely.
 *
 * gray-matter splits the fences and js-yaml parses them (its core schema: no JavaScript types, and
 * dates stay the strings they were written as; 7 µs a note against 63 µs for the yaml package,
 * which matters when 100k notes are indexed). Edits go through the yaml package, whose documents
 * keep comments and formatting. Two gray-matter defaults are
 * dangerous and both are switched off here: it evaluates `---js` / `---javascript` blocks as code,
 * and with no options it caches results by content and hands the same object to every caller.
 * Passing options turns the cache off; refusing any fence language but YAML, before gray-matter
 * chooses an engine, keeps code from ever being evaluated.
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
import matter from 'gray-matter';
import jsYaml from 'js-yaml';
import YAML from 'yaml';
import { expandedSize, FRONTMATTER_LIMITS, FrontmatterRefused, kib } from '../common/frontmatter-bounds.js';

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

const OPENING_FENCE = /^---[ \t]*([^\s-][^\n]*?)?[ \t]*\r?\n/;
const BOM = '\uFEFF';

const refuse = () => {
  throw new Error('frontmatter must be YAML');
};
const GRAY_MATTER_OPTIONS = {
  language: 'yaml',
  engines: {
    yaml: { parse: parseBoundedYaml, stringify: () => refuse() },
    javascript: refuse,
    js: refuse,
    coffee: refuse,
    json: refuse,
  },
} as const;

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
  let parsed: matter.GrayMatterFile<string>;
  try {
    parsed = matter(text, GRAY_MATTER_OPTIONS as unknown as Parameters<typeof matter>[1]);
  } catch (error) {
    const problem = error instanceof FrontmatterRefused ? error.message : `frontmatter is not valid YAML: ${firstLine(error)}`;
    return { data: {}, body: withoutFrontmatter(text), yaml: null, problem, ...found };
  }
  const data: unknown = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { data: {}, body: parsed.content, yaml: null, problem: 'frontmatter is not a mapping of keys to values', ...found };
  }
  // gray-matter splits at "\n---", which leaves the "\r" of a CRLF line before the closing fence.
  const yaml = parsed.matter.replace(/^\r?\n/, '').replace(/\r\n?/g, '\n');
  return { data: data as Frontmatter, body: parsed.content, yaml, ...found };
}

/** js-yaml's core schema, within FRONTMATTER_LIMITS; throws FrontmatterRefused naming the bound. */
function parseBoundedYaml(yaml: string): object {
  const bytes = Buffer.byteLength(yaml);
  if (bytes > FRONTMATTER_LIMITS.bytes) {
    throw new FrontmatterRefused(`frontmatter is larger than ${kib(FRONTMATTER_LIMITS.bytes)} (${kib(bytes)}); at most ${kib(FRONTMATTER_LIMITS.bytes)}`);
  }
  const data = jsYaml.load(yaml.replace(/\r\n?/g, '\n'), { schema: jsYaml.CORE_SCHEMA }) as object;
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

/** Tags as a list, whether written as a YAML list or a comma-separated string. */
export function noteTags(value: unknown): string[] {
  const raw = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return raw
    .filter((tag) => typeof tag === 'string' || typeof tag === 'number')
    .map((tag) => String(tag).trim().replace(/^#/, ''))
    .filter((tag) => tag.length > 0);
}

export function scalarField(value: unknown): string | null {
  return typeof value === 'string' || typeof value === 'number' ? String(value).trim() || null : null;
}
