/** The ChainFailed a call of the model chain ends with; any other outcome fails the test. */
import { ChainFailed } from '../../src/llm/chain.js';

export async function chainFailure(promise: Promise<unknown>): Promise<ChainFailed> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ChainFailed) return error;
    throw error;
  }
  throw new Error('expected the chain to fail');
}
