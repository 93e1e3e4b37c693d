/**
 * The fake LiteLLMs the tests started, reset before each test (test/support/setup.ts). A module of
 * its own, importing nothing: the setup runs in every test file, and most files start no server.
 */
export interface Resettable {
  reset(): void;
}

const fakes = new Set<Resettable>();

export function trackFake(fake: Resettable): () => void {
  fakes.add(fake);
  return () => fakes.delete(fake);
}

export function resetTestFakes(): void {
  for (const fake of fakes) fake.reset();
}
