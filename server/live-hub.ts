import type { WireEvent } from '../shared/index.ts';

export type LiveListener = (events: ReadonlyArray<WireEvent>, head: number) => void;

/**
 * In-process fan-out of committed events to live subscribers, per scope. Publishing is
 * synchronous and in commit order, so every subscriber of a scope sees the same order.
 */
export class LiveHub {
  readonly #listeners = new Map<string, Set<LiveListener>>();

  subscribe(scope: string, listener: LiveListener): () => void {
    let set = this.#listeners.get(scope);
    if (!set) {
      set = new Set();
      this.#listeners.set(scope, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(scope) === set) this.#listeners.delete(scope);
    };
  }

  publish(scope: string, events: ReadonlyArray<WireEvent>, head: number): void {
    const set = this.#listeners.get(scope);
    if (!set || events.length === 0) return;
    for (const listener of [...set]) listener(events, head);
  }

  /** Live connections across all scopes, for metrics. */
  get subscriberCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }
}
