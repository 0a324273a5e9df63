/**
 * An async mutex per key. Callers that need several keys take them in one call, which sorts
 * them, so two callers can never wait on each other in opposite orders.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async acquire(keys: Iterable<string>): Promise<() => void> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    for (const key of sorted) releases.push(await this.#acquireOne(key));
    return () => {
      for (const release of releases.reverse()) release();
    };
  }

  async #acquireOne(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    await previous;
    return () => {
      release();
      // Forget the key once nobody queued behind us, so idle keys do not accumulate.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}
