/** The JSON-RPC error an MCP request failed with (its code and message); throws when it succeeded. */
export async function failure(request: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = (await request.then(
    () => null,
    (e: unknown) => e,
  )) as { code: number; message: string } | null;
  if (!error) throw new Error('the request succeeded');
  return error;
}
