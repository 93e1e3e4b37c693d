/**
 * The code in a consultant's answer, as the eval runs it: fenced blocks read out of the markdown, the
 * test told from the implementation, an implementation given as whole file or as the functions it
 * changes applied to the file it changes, and relative imports pointed at the files where the
 * sandbox puts them. Models answer loosely; what they meant is taken where it is unambiguous, and
 * anything else fails the case with the reason.
 */
import { basename, extname } from 'node:path/posix';

export interface CodeBlock {
  language: string;
  code: string;
  /** The line just before the fence (often the file's name in bold or backticks). */
  before: string;
}

/** The most of an answer that is read, and the most blocks taken from it. */
const ANSWER_CHARS = 200_000;
const MAX_BLOCKS = 50;
const JS_LANGUAGES = new Set(['', 'js', 'javascript', 'mjs', 'cjs', 'jsx', 'ts', 'typescript', 'node', 'esm']);

/** The fenced code blocks of JavaScript (or unlabelled) in an answer, in order. */
export function codeBlocks(answer: string): CodeBlock[] {
  const lines = answer.slice(0, ANSWER_CHARS).replace(/\r\n?/g, '\n').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length && blocks.length < MAX_BLOCKS; i++) {
    const open = /^\s{0,3}(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const end = lines.findIndex((line, j) => j > i && line.trim().startsWith(fence[0]!.repeat(fence.length)) && line.trim().replace(/[`~]/g, '') === '');
    const stop = end === -1 ? lines.length : end;
    const language = open[2]!.toLowerCase();
    if (JS_LANGUAGES.has(language)) blocks.push({ language, code: lines.slice(i + 1, stop).join('\n'), before: lines[i - 1] ?? '' });
    i = stop;
  }
  return blocks;
}

/** A block that is a test for Node's test runner (or meant as one: it calls test/it/describe). */
export const isTest = (block: CodeBlock) => /from\s+['"](node:)?test['"]|require\(\s*['"](node:)?test['"]\s*\)|^\s*(test|it|describe)\s*\(/m.test(block.code);

/** The answer's test: the first test block, else null. */
export function answerTest(answer: string): string | null {
  return codeBlocks(answer).find(isTest)?.code ?? null;
}

/**
 * Points relative imports of `code` at the files the sandbox holds: an import whose file name (with
 * or without its extension) is one of `files` is rewritten to that file's path from `from`. A model
 * writing `../src/slugify.js` for the case's `slugify.mjs` meant that file.
 */
export function pointImports(code: string, files: readonly string[], from: string): string {
  const byStem = new Map<string, string>();
  for (const file of files) {
    byStem.set(basename(file), file);
    byStem.set(basename(file, extname(file)), file);
  }
  const depth = from.split('/').length - 1;
  const up = depth === 0 ? './' : '../'.repeat(depth);
  return code.replace(/(\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\2/gm, (whole, lead: string, quote: string, specifier: string) => {
    const name = basename(specifier);
    const target = byStem.get(name) ?? byStem.get(basename(name, extname(name)));
    return target ? `${lead}${quote}${up}${target}${quote}` : whole;
  });
}

/** Top-level declarations: `function x`, `const x =`, `class X`, exported or not, async or not. */
const DECLARATION = /^(?:export\s+(?:default\s+)?)?(?:async\s+)?(?:function\s*\*?\s*([A-Za-z_$][\w$]*)|(?:const|let|var)\s+([A-Za-z_$][\w$]*)|class\s+([A-Za-z_$][\w$]*))/;

interface Chunk {
  name: string | null;
  text: string;
}

/** A module cut at its top-level declarations (lines that start one at column 0). */
function chunks(code: string): Chunk[] {
  const result: Chunk[] = [];
  let current: Chunk = { name: null, text: '' };
  for (const line of code.split('\n')) {
    const declared = DECLARATION.exec(line);
    if (declared) {
      if (current.text !== '' || current.name !== null) result.push(current);
      current = { name: declared[1] ?? declared[2] ?? declared[3] ?? null, text: line };
      continue;
    }
    current.text = current.text === '' && current.name === null ? line : `${current.text}\n${line}`;
  }
  result.push(current);
  return result;
}

const exportedNames = (code: string) =>
  new Set(chunks(code).filter((chunk) => /^export\s/.test(chunk.text)).flatMap((chunk) => (chunk.name ? [chunk.name] : [])));

/**
 * `original` with the answer's code applied. A block is the whole file, and replaces it, when it
 * declares every name the original exports, or when it is as large as the module: as many top-level
 * declarations as the module has, at least two of them the module's own. What such a block leaves out
 * is gone: a refactoring that rewrites the module and drops or renames an export is judged on the
 * module it wrote, not rescued by the original's copy. A smaller block gives the declarations it
 * changes (a green step's one function, maybe with a new helper): it replaces those, adds new ones at
 * the end, adds the imports it brings that the module lacks, and leaves every other declaration as it
 * was. Nothing in the code tells the two apart at the edge, and the rule leans to the patch there: a
 * rewrite of a two-function module that drops one, or a step giving two of three functions and no new
 * helper, is read as a patch (one function and a helper is what a green step most often gives, and
 * dropping what the answer did not mean to drop fails a right answer). Blocks apply in order, so a
 * later step's version of a function wins. Returns null when no block declares anything of the module.
 */
export function applyAnswerCode(original: string, answer: string): string | null {
  const blocks = codeBlocks(answer).filter((block) => !isTest(block));
  const wanted = exportedNames(original);
  let code = original;
  let applied = false;
  for (const block of blocks) {
    const declared = chunks(block.code).filter((chunk) => chunk.name !== null);
    if (declared.length === 0) continue;
    const names = new Set(declared.map((chunk) => chunk.name));
    const moduleNames = new Set(chunks(code).flatMap((chunk) => (chunk.name ? [chunk.name] : [])));
    const own = [...names].filter((name) => moduleNames.has(name!)).length;
    const wholeFile = (wanted.size > 0 && [...wanted].every((name) => names.has(name))) || (names.size >= moduleNames.size && own >= 2);
    if (wholeFile) {
      code = block.code;
      applied = true;
      continue;
    }
    if (!declared.some((chunk) => chunk.name && (wanted.has(chunk.name) || moduleNames.has(chunk.name)))) continue;
    const current = chunks(code);
    for (const chunk of declared) {
      const at = current.findIndex((c) => c.name === chunk.name);
      // The original's `export` stays when the block leaves it off: the tests import the name.
      const text = at !== -1 && /^export\s/.test(current[at]!.text) && !/^export\s/.test(chunk.text) ? `export ${chunk.text}` : chunk.text;
      if (at === -1) current.push({ name: chunk.name, text });
      else current[at] = { name: chunk.name, text: text.replace(/\n+$/, '') + trailingBlankLines(current[at]!.text) };
    }
    code = withImports(current.map((chunk) => chunk.text).join('\n'), block.code);
    applied = true;
  }
  return applied ? code : null;
}

/** An import statement at the margin, over one line or several. */
const IMPORT = /^import\b[\s\S]*?['"][^'"\n]*['"][ \t]*;?[ \t]*$/gm;

/**
 * `code` with the imports `block` gives before its first declaration that `code` lacks, at its top (an
 * import's place in a module does not matter: imports are hoisted). A changed function that needs a
 * new import is given with it; leaving the import out would fail a right answer.
 */
function withImports(code: string, block: string): string {
  const head = chunks(block)[0];
  if (!head || head.name !== null) return code;
  // The same import in other quotes or spacing is the same import.
  const same = (statement: string) => normalisedCode(statement.replace(/"/g, "'").replace(/;\s*$/, ''));
  const have = new Set((code.match(IMPORT) ?? []).map(same));
  const added = (head.text.match(IMPORT) ?? []).filter((statement) => !have.has(same(statement)));
  if (added.length === 0) return code;
  const shebang = /^#!.*\n/.exec(code)?.[0] ?? '';
  return `${shebang}${added.join('\n')}\n${code.slice(shebang.length)}`;
}

const trailingBlankLines = (text: string) => /\n*$/.exec(text)![0];

/** Code without comments and with whitespace collapsed: what tells a real change from a reformatting. */
export function normalisedCode(code: string): string {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{}()[\];,=+\-*/<>!?:.])\s*/g, '$1')
    .trim();
}
