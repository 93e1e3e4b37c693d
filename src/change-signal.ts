/**
 * Tells listeners that something changed (the brain's notes, the session logs), debounced: a burst of
 * changes (a git pull, a batch of writes, many new sessions) becomes one call, and listeners are
 * called at most once per MIN_INTERVAL_MS. The source of the changes (the Brain's own events, polling
 * the service, the session log's appends) runs only while someone listens.
 */

/** The quiet time after a change before listeners are called: the rest of a burst lands meanwhile. */
const SETTLE_MS = 100;
/** Listeners are called at most once per this long. */
const MIN_INTERVAL_MS = 1000;

/** Starts watching for changes, calling `changed` for each; returns what stops it. */
export type ChangeSource = (changed: () => void) => () => void;

export class ChangeSignal {
  private readonly listeners = new Set<() => void>();
  private stopSource: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastCall = 0;

  constructor(private readonly source: ChangeSource) {}

  /** Adds a listener; the returned function removes it (and stops the source with the last one). */
  subscribe(listener: () => void): () => void {
    const entry = () => listener();
    this.listeners.add(entry);
    this.stopSource ??= this.source(() => this.changed());
    return () => {
      if (!this.listeners.delete(entry) || this.listeners.size > 0) return;
      this.stopSource?.();
      this.stopSource = null;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    };
  }

  private changed(): void {
    if (this.timer || this.listeners.size === 0) return;
    const wait = Math.max(SETTLE_MS, this.lastCall + MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => this.call(), wait);
    // A listener must not keep the process alive: the MCP server decides when it ends.
    this.timer.unref();
  }

  private call(): void {
    this.timer = null;
    this.lastCall = Date.now();
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // One failing listener must not keep the others from hearing of the change.
      }
    }
  }
}
