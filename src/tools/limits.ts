/**
 * Bounds on what a consulting call accepts (argument bombs, unbounded strings). The tools'
 * input schemas check them, so a caller gets a validation error naming the argument and the bound
 * before any work starts ("files: at most 200 entries").
 *
 * They are refinements, not `maxLength`/`maxItems`: those would be published in tools/list, which is
 * read into every Claude Code user's context, and these bounds only matter to a hostile caller.
 */
import * as z from 'zod';

export const LIMITS = {
  /** Entries of `files`; also the most files one call reads (the bridge included). */
  files: 200,
  /** Entries of `attachments`. */
  attachments: 200,
  /** A path relative to project_root: `files[]`, `attachments[].path`, `test_path`, `impl_path`, `output_path`. */
  pathChars: 1024,
  /** `project_root` (PATH_MAX on Linux). */
  projectRootChars: 4096,
  /** A text argument (`spec`, `requirements`, `error`, `context`) or one attachment's content. Longer
   *  than any model window holds: the prompt is fitted to the window anyway, this only bounds the work. */
  textChars: 1_000_000,
  /** `test_cmd`. */
  commandChars: 1000,
  /** `model`: LiteLLM model names are short. */
  modelChars: 200,
} as const;

/** The characters of LiteLLM model names (`host/name`, `name:tag`, `org/name@version`, …). */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9._:/@+-]+$/;

/** `schema` refined to at most `max` characters, the error naming `name` and the bound. */
export function maxChars(schema: z.ZodString, name: string, max: number): z.ZodString {
  return schema.refine((value) => value.length <= max, `${name}: at most ${max} characters`);
}

/** A list refined to at most `max` entries, the error naming `name` and the bound. */
export function maxEntries<T extends z.ZodType>(schema: z.ZodArray<T>, name: string, max: number): z.ZodArray<T> {
  return schema.refine((value) => value.length <= max, `${name}: at most ${max} entries`);
}

/** An optional text argument with the common bound. */
export const optionalText = (name: string, max: number = LIMITS.textChars) => maxChars(z.string(), name, max).optional();

export const modelArg = z
  .string()
  .refine(
    (value) => value.length >= 1 && value.length <= LIMITS.modelChars && MODEL_NAME_PATTERN.test(value),
    `model: 1–${LIMITS.modelChars} characters of A-Z a-z 0-9 . _ : / @ + -`,
  )
  .optional();
