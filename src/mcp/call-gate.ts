/**
 * The tool calls in flight, over all clients and both protocol eras: at most SUPERVISOR_MAX_CALLS at
 * once (calls parked on a slow model each hold their arguments and prompt: without a cap, memory would
 * grow with every request sent), and each one stoppable when the server shuts down.
 */
import { CallStopped } from '../llm/chain.js';

export type Entry = { refused: string } | { stopped: AbortSignal; leave(): void };

export class CallGate {
  // One controller per call, not one signal for the server's life combined into every call:
  // AbortSignal.any keeps a reference from its sources to each combined signal.
  readonly #running = new Set<AbortController>();

  constructor(private readonly max: number) {}

  get inFlight(): number {
    return this.#running.size;
  }

  /** A place for one call: `stopped` aborts when the server stops it; `leave` as it ends, however it ends. */
  enter(): Entry {
    if (this.#running.size >= this.max) {
      return { refused: `the server is busy: ${this.max} calls are in flight, the most it takes at once (SUPERVISOR_MAX_CALLS); try again shortly` };
    }
    const stopper = new AbortController();
    this.#running.add(stopper);
    return { stopped: stopper.signal, leave: () => this.#running.delete(stopper) };
  }

  /** Stops every call in flight: each answers with a tool error saying why. */
  stopAll(why: string): void {
    const reason = new CallStopped(why);
    for (const stopper of this.#running) stopper.abort(reason);
  }
}
