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
 */
import matter from 'gray-matter';
import jsYaml from 'js-yaml';
import YAML from 'yaml';

export type Frontmatter = Record<string, unknown>;

export interface ParsedNote {
  data: Frontmatter;
  /** The text after the frontmatter block (all of it when there is none). */
  body: string;
  /** The YAML between the fences, exactly as written; null when the note has no valid frontmatter. */
  yaml: string | null;
  /** Why the frontmatter was not usable; the body is still good. */
  problem?: string;
}

const OPENING_FENCE = /^---[ \t]*([^\s-][^\n]*?)?[ \t]*\r?\n/;

const refuse = () => {
  throw new Error('frontmatter must be YAML');
};
const GRAY_MATTER_OPTIONS = {
  language: 'yaml',
  engines: {
    yaml: { parse: (text: string) => jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA }) as object, stringify: () => refuse() },
    javascript: refuse,
    js: refuse,
    coffee: refuse,
    json: refuse,
  },
} as const;

export function parseNote(text: string): ParsedNote {
  const fence = OPENING_FENCE.exec(text);
  if (!fence) return { data: {}, body: text, yaml: null };
  const language = fence[1]?.trim();
  if (language && !/^ya?ml$/i.test(language)) {
    return { data: {}, body: withoutFrontmatter(text), yaml: null, problem: `frontmatter language "${language}" is not YAML` };
  }
  let parsed: matter.GrayMatterFile<string>;
  try {
    parsed = matter(text, GRAY_MATTER_OPTIONS as unknown as Parameters<typeof matter>[1]);
  } catch (error) {
    return { data: {}, body: withoutFrontmatter(text), yaml: null, problem: `frontmatter is not valid YAML: ${firstLine(error)}` };
  }
  const data: unknown = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { data: {}, body: parsed.content, yaml: null, problem: 'frontmatter is not a mapping of keys to values' };
  }
  return { data: data as Frontmatter, body: parsed.content, yaml: parsed.matter.replace(/^\r?\n/, '') };
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
  if (entries.length === 0) return note.yaml === null ? note.body : joinNote(note.yaml, note.body);
  const doc = note.yaml === null ? new YAML.Document({}) : YAML.parseDocument(note.yaml);
  for (const [key, value] of entries) doc.set(key, value);
  return joinNote(doc.toString({ lineWidth: 0 }), note.body);
}

function joinNote(yaml: string, body: string): string {
  const block = yaml.endsWith('\n') ? yaml : `${yaml}\n`;
  return `---\n${block}---\n${body}`;
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
