/**
 * Waiting for an event (a request reaching the fake, a line in a log, a file) by polling it. The
 * deadline is generous on purpose: it only bounds how long a broken test takes to fail, and must
 * not be reached by a slow but working run on a loaded machine.
 */
export const GENEROUS_MS = 20_000;

export async function waitFor(check: () => boolean | Promise<boolean>, what = 'the condition', ms = GENEROUS_MS): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > ms) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A promise the test settles when it chooses: hand `closed` to the fake LiteLLM (`until`), then `open()`. */
export function gate(): { closed: Promise<void>; open: () => void } {
  let open!: () => void;
  const closed = new Promise<void>((resolve) => (open = resolve));
  return { closed, open };
}
