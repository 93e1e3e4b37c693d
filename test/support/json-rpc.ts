/** The JSON-RPC error an MCP request failed with (its code and message); throws when it succeeded. */
export async function failure(request: Promise<unknown>): Promise<{ code: number; message: string; data?: unknown }> {
  const error = (await request.then(
    () => null,
    (e: unknown) => e,
  )) as { code: number; message: string; data?: unknown } | null;
  if (!error) throw new Error('the request succeeded');
  return error;
}
