/**
 * Eval cases: one folder each, `case.yaml` beside the files it names (docs/eval.md). The suite that
 * ships lives in `eval/cases/<skill>/<case>/`; a team adds folders of its own (`--cases`), laid out
 * the same way. Every file is read once, bounded, and a case that cannot be used is refused with its
 * folder and what is wrong, before any model is asked.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import jsYaml from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from '../../common/env.js';

export const EVAL_SKILLS = ['tdd_red', 'tdd_green', 'tdd_refactor', 'review', 'debug', 'spec', 'retrospective', 'trainer'] as const;
export type EvalSkill = (typeof EVAL_SKILLS)[number];

/** Bounds on what a case may hold: a case is a small, readable example, not a project. */
export const CASE_LIMITS = { files: 40, fileBytes: 64 * 1024, caseBytes: 256 * 1024, cases: 2000, patternChars: 500 } as const;

/** A regular expression as a case writes it: matched case-insensitively, `^` and `$` at line ends. */
const pattern = z
  .string()
  .min(1)
  .max(CASE_LIMITS.patternChars)
  .refine((source) => {
    try {
      new RegExp(source, 'im');
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid regular expression');
/** One pattern, or a list of them: any one matching counts. */
const patterns = z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(pattern).min(1));
/** Named patterns: the name is what the report says was missing (or present). */
const namedPatterns = z.record(z.string().min(1).max(120), patterns);

const fileName = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => !p.startsWith('/') && !p.split('/').some((part) => part === '..' || part.startsWith('.')), 'must be a relative path without hidden or parent parts');

const textChecks = { must: namedPatterns.optional(), must_not: namedPatterns.optional() };

const checkShapes = {
  tdd_red: z.object({ test_file: fileName.default('answer.test.mjs'), ...textChecks }).strict(),
  tdd_green: z.object({ module: fileName, tests: z.array(fileName).min(1), ...textChecks }).strict(),
  tdd_refactor: z.object({ module: fileName, tests: z.array(fileName).min(1), ...textChecks }).strict(),
  review: z
    .object({
      defects: z
        .array(
          z
            .object({
              file: fileName,
              /** Where: any of these lines, or any of these identifiers, named in the finding. */
              lines: z.array(z.number().int().min(1)).optional(),
              names: z.array(z.string().min(1).max(120)).optional(),
              /** What kind of defect: one of these patterns in the same finding. */
              kind: patterns,
            })
            .strict()
            .refine((d) => (d.lines?.length ?? 0) + (d.names?.length ?? 0) > 0, 'a defect needs lines or names'),
        )
        .min(1),
      decoys: z.array(fileName).default([]),
      ...textChecks,
    })
    .strict(),
  debug: z.object({ root_cause: patterns, wrong_causes: z.array(patterns).min(1), ...textChecks }).strict(),
  spec: z.object(textChecks).strict().refine((c) => c.must !== undefined, 'spec cases need `must`'),
  retrospective: z.object({ lesson: patterns, ...textChecks }).strict(),
  trainer: z.object({ lesson: patterns, ...textChecks }).strict(),
} satisfies Record<EvalSkill, z.ZodType>;

export type CheckOf<S extends EvalSkill> = z.output<(typeof checkShapes)[S]>;

const CaseFile = z
  .object({
    skill: z.enum(EVAL_SKILLS, { error: `skill must be one of ${EVAL_SKILLS.join(', ')}` }),
    title: z.string().min(1).max(200),
    /** The tool's own arguments (project_root, model, session_id and attachments are the eval's). */
    arguments: z.record(z.string(), z.unknown()).default({}),
    /** retrospective / trainer: the session log the tool reads (JSON lines, as the server writes them). */
    session: fileName.optional(),
    check: z.unknown(),
  })
  .strict();

interface CaseBase {
  /** `<skill>/<folder>`, unique in a run. */
  id: string;
  title: string;
  dir: string;
  arguments: Record<string, unknown>;
  /** The project as the consultant sees it: every file under `given/`, attached to the call. */
  given: Record<string, string>;
  /** tdd_red: the files after the behaviour is built (`reference/`), which the answer's test must pass against. */
  reference: Record<string, string>;
  /** retrospective / trainer: the session log's lines. */
  session: string | null;
  /** The answers that prove the checks: `answers/right*.md` must pass, `answers/wrong*.md` must fail. */
  proofs: { right: string[]; wrong: string[] };
}

export type EvalCase = { [S in EvalSkill]: CaseBase & { skill: S; check: CheckOf<S> } }[EvalSkill];

/** A case that cannot be used: a bad setting of the run, refused before any model is asked (exit 2). */
export class CaseError extends ConfigError {}

/** Every case under `root` (a folder of `<skill>/<case>/` folders, or of case folders directly), sorted by id. */
export async function loadCases(root: string): Promise<EvalCase[]> {
  const dirs = await caseDirs(root);
  if (dirs.length > CASE_LIMITS.cases) throw new CaseError(`${root}: ${dirs.length} cases, more than the ${CASE_LIMITS.cases} a run takes`);
  const cases: EvalCase[] = [];
  for (const dir of dirs) cases.push(await loadCase(dir, relative(root, dir).split(sep).join('/') || basename(dir)));
  return cases.sort((a, b) => a.id.localeCompare(b.id));
}

/** Folders holding a case.yaml, two levels deep at most; symbolic links are not followed. */
async function caseDirs(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string, depth: number) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new CaseError(`cannot read the cases folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (entries.some((entry) => entry.isFile() && entry.name === 'case.yaml')) return void found.push(dir);
    if (depth === 2) return;
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory() && !entry.name.startsWith('.')) await visit(join(dir, entry.name), depth + 1);
    }
  };
  await visit(root, 0);
  return found;
}

async function loadCase(dir: string, id: string): Promise<EvalCase> {
  const refuse = (what: string): never => {
    throw new CaseError(`case ${dir}: ${what}`);
  };
  const budget = { bytes: 0, files: 0 };
  const text = await boundedText(join(dir, 'case.yaml'), budget, refuse);
  let raw: unknown;
  try {
    // CORE_SCHEMA: no custom tags; js-yaml refuses aliases past its own bound of nesting.
    raw = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA });
  } catch (error) {
    refuse(`case.yaml is not valid YAML: ${String((error as Error).message).split('\n')[0]}`);
  }
  const file = CaseFile.safeParse(raw);
  if (!file.success) refuse(`case.yaml: ${issueLine(file.error)}`);
  const { skill, title, arguments: args, session, check } = file.data!;
  const checked = checkShapes[skill].safeParse(check ?? {});
  if (!checked.success) refuse(`case.yaml: check.${issueLine(checked.error)}`);

  const given = await folderFiles(join(dir, 'given'), budget, refuse);
  const reference = await folderFiles(join(dir, 'reference'), budget, refuse);
  const answers = await folderFiles(join(dir, 'answers'), budget, refuse);
  const proofs = {
    right: Object.entries(answers).filter(([name]) => /^right[\w-]*\.md$/.test(name)).map(([, text]) => text),
    wrong: Object.entries(answers).filter(([name]) => /^wrong[\w-]*\.md$/.test(name)).map(([, text]) => text),
  };
  const base = { id, title, dir, arguments: args, given, reference, proofs, session: session ? await boundedText(join(dir, session), budget, refuse) : null };
  const built = { ...base, skill, check: checked.data } as EvalCase;
  requireFiles(built, refuse);
  return built;
}

/** What each skill's check needs from the case's folders, said before a model is asked. */
function requireFiles(c: EvalCase, refuse: (what: string) => never): void {
  switch (c.skill) {
    case 'tdd_red':
      if (Object.keys(c.reference).length === 0) refuse('a tdd_red case needs reference/: the code the answer\'s test must pass against');
      break;
    case 'tdd_green':
    case 'tdd_refactor':
      for (const name of [c.check.module, ...c.check.tests]) if (!(name in c.given)) refuse(`check names ${name}, which is not in given/`);
      break;
    case 'review':
      for (const name of [...c.check.defects.map((d) => d.file), ...c.check.decoys]) if (!(name in c.given)) refuse(`check names ${name}, which is not in given/`);
      break;
    case 'retrospective':
    case 'trainer': {
      if (c.session === null) return refuse(`a ${c.skill} case needs session: the session log its tool reads`);
      const lines = sessionLines(c.session);
      if (lines.length === 0) refuse('its session log has no lines');
      for (const [i, line] of lines.entries()) {
        let entry: unknown;
        try {
          entry = JSON.parse(line);
        } catch {
          return refuse(`session log line ${i + 1} is not JSON`);
        }
        if (!entry || typeof entry !== 'object' || Array.isArray(entry)) refuse(`session log line ${i + 1} is not a JSON object`);
      }
      break;
    }
    default:
      break;
  }
}

/** The non-blank lines of a session log (JSON lines, LF or CRLF). */
export const sessionLines = (log: string) => log.split(/\r?\n/).filter((line) => line.trim() !== '');

async function boundedText(path: string, budget: { bytes: number; files: number }, refuse: (what: string) => never): Promise<string> {
  const stat = await lstat(path).catch(() => null);
  if (!stat) return refuse(`${basename(path)} is missing`);
  // A link, FIFO or device is never followed or opened: a case is plain files.
  if (!stat.isFile()) return refuse(`${basename(path)} is not a regular file`);
  if (stat.size > CASE_LIMITS.fileBytes) return refuse(`${basename(path)} is ${stat.size} bytes, more than the ${CASE_LIMITS.fileBytes} a case file may hold`);
  budget.bytes += stat.size;
  budget.files += 1;
  if (budget.files > CASE_LIMITS.files) return refuse(`more than ${CASE_LIMITS.files} files`);
  if (budget.bytes > CASE_LIMITS.caseBytes) return refuse(`more than ${CASE_LIMITS.caseBytes} bytes in all`);
  return (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
}

/** Every regular file under `dir` (missing: none), by its path relative to `dir` with `/`. */
async function folderFiles(dir: string, budget: { bytes: number; files: number }, refuse: (what: string) => never): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const visit = async (at: string) => {
    const entries = await readdir(at, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && at === dir) return [];
      return refuse(`cannot read ${relative(dir, at) || basename(dir)}: ${error.code}`);
    });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) await visit(path);
      else files[relative(dir, path).split(sep).join('/')] = await boundedText(path, budget, refuse);
    }
  };
  await visit(dir);
  return files;
}

function issueLine(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : '';
  return `${where}${where ? ' ' : ''}${issue?.message ?? 'is invalid'}`;
}
