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
export const noteNotFound = (path: string) => new BrainError(`no note at ${path}`, 404, { path });
export const notReady = (read: number, total: number) =>
  new BrainError(`the brain index is still loading (${read} of ${total} changed notes read); retry in a moment`, 503);
