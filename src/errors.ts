/**
 * Errors with a meaning at the tool boundary, and the one-line descriptions of errors a caller may
 * see. Raw errors (an fs error names absolute server paths) go to the server log, never to a caller.
 */

/** A call the caller can fix, in its own words (an empty session, a bad session id): a tool error, counted as `refused`. */
export class CallRefused extends Error {}

/** What a system error means, by its code, without the paths its message carries. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a path on the way is a file, not a folder',
  ENOENT: 'a folder on the way does not exist',
  EISDIR: 'a folder is where a file should be',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
};

/** A system error as a caller may see it: what happened (and its code), never the path. */
export function systemErrorLine(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return 'an unexpected error';
  return `${SYSTEM_ERRORS[code] ?? 'a system error'} (${code})`;
}

/** An error as one line for a status report or a log-like answer: its cause's code first, when it has one. */
export function errorLine(error: unknown, max = 200): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  const message = String((error as Error | null)?.message ?? error).replace(/\s+/g, ' ');
  return (typeof cause === 'string' ? `${cause}: ${message}` : message).slice(0, max);
}
