/**
 * The bound on failed sign-ins, so that the token cannot be guessed faster than a few tries a minute:
 * each client address may fail `max` times in a window that opens with its first failure; after that
 * its sign-ins are refused (429) until the window closes, without the token being compared.
 *
 * Nothing runs on a timer: a window's end is computed from timestamps when an attempt comes in. The
 * addresses kept are bounded, the oldest window dropped first, so a flood from many addresses cannot
 * grow memory.
 */
export interface SignInLimitOptions {
  /** Failures an address may make in one window. */
  max?: number;
  /** How long a window lasts, from the address's first failure. */
  windowMs?: number;
  /** Addresses kept at most. */
  addresses?: number;
  /** Milliseconds from any origin; monotonic by default, so a clock set back locks no one out. */
  now?: () => number;
}

interface FailureWindow {
  opened: number;
  failures: number;
}

export class SignInLimit {
  readonly max: number;
  readonly windowMs: number;
  private readonly addresses: number;
  private readonly now: () => number;
  /** Failures by address. A window is inserted when it opens, so the map is ordered oldest window first. */
  private readonly windows = new Map<string, FailureWindow>();

  constructor({ max = 5, windowMs = 60_000, addresses = 10_000, now = () => performance.now() }: SignInLimitOptions = {}) {
    this.max = max;
    this.windowMs = windowMs;
    this.addresses = addresses;
    this.now = now;
  }

  /** The limit in words, for the page that refuses a sign-in. */
  get rule(): string {
    const seconds = Math.round(this.windowMs / 1000);
    return `at most ${this.max} failed sign-ins per ${seconds === 60 ? 'minute' : `${seconds} seconds`}`;
  }

  /** Addresses kept now (closed windows are dropped as attempts come in). */
  get size(): number {
    return this.windows.size;
  }

  /** Whole seconds until `address` may try again; 0 when it may now. */
  retryAfter(address: string): number {
    const kept = this.open(address);
    if (!kept || kept.failures < this.max) return 0;
    return Math.max(1, Math.ceil((kept.opened + this.windowMs - this.now()) / 1000));
  }

  /** Counts a failed sign-in from `address`. */
  failed(address: string): void {
    const kept = this.open(address);
    if (kept) {
      kept.failures += 1;
      return;
    }
    const now = this.now();
    // Oldest first: the closed windows at the front go, then open ones while the map is full.
    for (const [key, { opened }] of this.windows) {
      if (now - opened < this.windowMs && this.windows.size < this.addresses) break;
      this.windows.delete(key);
    }
    this.windows.set(address, { opened: now, failures: 1 });
  }

  /** The address's window while it is open; a closed one is forgotten. */
  private open(address: string): FailureWindow | undefined {
    const kept = this.windows.get(address);
    if (kept && this.now() - kept.opened >= this.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return kept;
  }
}
