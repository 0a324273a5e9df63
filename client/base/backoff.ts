/** Time as the sync loop sees it; injected so tests can drive it. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface BackoffOptions {
  /** The first retry's delay ceiling. */
  readonly baseMs: number;
  /** No delay is ever longer than this. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 30_000 };

/**
 * The delay before retry number `attempt` (1, 2, …): exponential with "equal jitter", so
 * clients that failed together spread out, yet no retry comes sooner than half the ceiling
 * (full jitter can draw ~0 ms, which is a hot loop against a server that is down).
 */
export function backoffDelay(attempt: number, random: () => number, options = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** A sleep that `wake()` cuts short: the loops sleep on it, events (new commands, online) wake them. */
export class Waker {
  readonly #clock: Clock;
  #wake: (() => void) | null = null;
  #pending = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Resolves after `ms` (forever when omitted) or at the next `wake()`, whichever is first. */
  sleep(ms?: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === undefined ? null : this.#clock.setTimeout(() => done(), ms);
      const done = () => {
        if (timer !== null) this.#clock.clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      this.#wake = done;
    });
  }

  /** Ends the current sleep, or makes the next one return at once (a wake is never lost). */
  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }
}
