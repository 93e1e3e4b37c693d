/** Failures a caller can act on, each with the HTTP status that says so. */
export class BrainError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new BrainError(message, 400);
export const noteExists = (path: string) =>
  new BrainError(`a note already exists at ${path}; send mode "overwrite" to replace it or "append" to add to it`, 409, { path });
/** A conditional write (expected_sha256) found another version of the note, or none: nothing was changed. */
export const changedSinceRead = (path: string, expected: string, current: string | null) =>
  new BrainError(
    `${path} changed since you read it (sha256 ${expected}, now ${current ?? 'gone: the note no longer exists'}); read it again and retry`,
    409,
    { path, sha256: current },
  );
export const noteNotFound = (path: string) => new BrainError(`no note at ${path}`, 404, { path });
/** A note so large (grown on disk, or by appends) that reading it whole would hold the service: 422, nothing read or changed. */
export const noteTooLarge = (path: string, bytes: number, limit: number) =>
  new BrainError(
    `${path} is ${bytes.toLocaleString('en')} bytes, over the ${limit / 1024 / 1024} MiB (${limit.toLocaleString('en')} bytes) a note is read whole at (to read it, append to it or write it with expected_sha256); split it into smaller notes, or overwrite it`,
    422,
    { path },
  );
/** Searches before the index is loaded: at start, or while it is rebuilt after damage (`damage` says what SQLite found). */
export const notReady = (read: number, total: number, damage: string | null = null) =>
  new BrainError(
    damage
      ? `the search index was found damaged (${damage}) and is being rebuilt from the notes, which are intact${total > 0 ? ` (${read} of ${total} read)` : ''}; retry in a moment`
      : `the brain index is still loading (${read} of ${total} changed notes read); retry in a moment`,
    503,
  );

/**
 * What the brain's disk answered, as the caller's error: nothing was written (writes are whole or
 * not at all), and what to do. Null for an error that is not the disk's.
 */
export function diskFault(error: unknown, path: string): BrainError | null {
  const nothing = `${path} was not written (the brain is as it was)`;
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOSPC':
      return new BrainError(`no space left on the brain's disk: ${nothing}; free space on the volume that holds the brain folder and retry`, 507, { path });
    case 'EDQUOT':
      return new BrainError(`disk quota exceeded on the brain's disk: ${nothing}; raise the quota or free space, and retry`, 507, { path });
    case 'EFBIG':
      return new BrainError(`the note would be larger than the brain's file system allows: ${nothing}; split it into smaller notes`, 507, { path });
    case 'EROFS':
      return new BrainError(`the brain's disk is read-only: ${nothing}; mount it writable and retry`, 503, { path });
    case 'EIO':
      // An I/O error may come after the note took its name (flushing the folder, reading it back for
      // the index): it is then whole, or as it was, never half; only a read tells which.
      return new BrainError(
        `I/O error on the brain's disk while writing ${path}: the note is as it was or written whole, never half; check the disk (the system log says more), then read the note (GET /notes/${path}) before retrying`,
        500,
        { path },
      );
    case 'EACCES':
    case 'EPERM':
      return new BrainError(`the brain service may not write there (permission denied): ${nothing}; give its user write access to the brain folder`, 500, { path });
    default:
      return null;
  }
}
