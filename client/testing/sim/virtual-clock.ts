import type { Clock } from '../../base/index.ts';

interface Timer {
  readonly at: number;
  /** Insertion order: timers due at the same moment fire in the order they were set. */
  readonly order: number;
  readonly run: () => void;
  readonly domain: ClockDomain | null;
  cancelled: boolean;
}

/**
 * Virtual time for the simulator (TEST-PLAN §2.1): `now()` moves only when `runNext()` fires the
 * earliest timer, so a run takes as long as its work, not as long as its backoffs and delays.
 *
 * Invariants: timers fire in (due time, insertion order), so the same calls in the same order fire
 * the same way; time never goes backwards; a timer set for the past fires at `now`. Times are
 * whole milliseconds, since commands carry `at = clock.now()` and the protocol wants integers.
 */
export class VirtualClock implements Clock {
  #now: number;
  #order = 0;
  /** A binary heap on (at, order). */
  readonly #heap: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    return this.#add(callback, ms, null);
  }

  clearTimeout(handle: unknown): void {
    if (handle && typeof handle === 'object' && 'cancelled' in handle) (handle as Timer).cancelled = true;
  }

  /**
   * A view of this clock whose timers can all be cancelled at once: one per engine incarnation,
   * so a crashed engine's backoffs and group commits never fire again.
   */
  domain(): ClockDomain {
    return new ClockDomain(this);
  }

  /** When the next live timer is due, or null when none is left. */
  nextAt(): number | null {
    this.#dropCancelled();
    return this.#heap[0]?.at ?? null;
  }

  /** Advances to the earliest timer and fires it; false when no timer is left. */
  runNext(): boolean {
    this.#dropCancelled();
    const timer = this.#pop();
    if (!timer) return false;
    this.#now = Math.max(this.#now, timer.at);
    timer.cancelled = true;
    timer.run();
    return true;
  }

  /** @internal */
  add(callback: () => void, ms: number, domain: ClockDomain | null): Timer {
    return this.#add(callback, ms, domain);
  }

  #add(callback: () => void, ms: number, domain: ClockDomain | null): Timer {
    const delay = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0;
    const timer: Timer = { at: this.#now + delay, order: this.#order++, run: callback, domain, cancelled: false };
    this.#push(timer);
    return timer;
  }

  #dropCancelled(): void {
    while (this.#heap[0] && (this.#heap[0].cancelled || this.#heap[0].domain?.killed)) this.#pop();
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  #pop(): Timer | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l] as Timer, heap[m] as Timer)) m = l;
        if (r < heap.length && before(heap[r] as Timer, heap[m] as Timer)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m] as Timer, heap[i] as Timer];
        i = m;
      }
    }
    return top;
  }
}

/** A `Clock` over a `VirtualClock` whose timers die with it (`kill`). */
export class ClockDomain implements Clock {
  readonly #clock: VirtualClock;
  killed = false;
  /** Timers set and not yet fired or cleared: the engine's pending group commits and sleeps. */
  #live = new Set<Timer>();

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  now(): number {
    return this.#clock.now();
  }

  setTimeout(callback: () => void, ms: number): unknown {
    if (this.killed) return null;
    const timer = this.#clock.add(
      () => {
        this.#live.delete(timer);
        callback();
      },
      ms,
      this,
    );
    this.#live.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    if (handle === null || handle === undefined) return;
    this.#live.delete(handle as Timer);
    this.#clock.clearTimeout(handle);
  }

  kill(): void {
    this.killed = true;
    this.#live.clear();
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
