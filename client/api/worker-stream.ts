import type { SyncStatus } from '../sync/index.ts';

/**
 * The batching under every carrier of the engine protocol (engine-protocol.ts): a Comlink-style
 * call costs a message and a reply each; here every message is one-way and carries a batch.
 *
 * Items for the other side, sent as one `postMessage` per moment: what is sent in the same
 * synchronous run (10,000 executes in a loop, the durable stages of one commit) costs one
 * structured clone and one task over there. A flush happens in a microtask, or later while a
 * `hold` lasts, so a command's rows and its answer travel together.
 */
export class Batcher<T> {
  readonly #post: (items: T[]) => void;
  /** Called at each flush: an item to lead the batch (the status), or undefined. */
  readonly #lead: () => T | undefined;
  #items: T[] = [];
  #scheduled = false;
  #holds = 0;
  #lazy = false;
  /** A task flush is scheduled by `sendSoon`. */
  #soon = false;

  /** At most this many items wait for the flush: a long synchronous loop sends as it goes. */
  readonly #max: number;

  constructor(post: (items: T[]) => void, options: { lead?: () => T | undefined; max?: number } = {}) {
    this.#post = post;
    this.#lead = options.lead ?? (() => undefined);
    this.#max = options.max ?? Number.POSITIVE_INFINITY;
  }

  send(item: T): void {
    this.#items.push(item);
    if (this.#items.length >= this.#max && this.#holds === 0) this.flush();
    else this.#schedule();
  }

  /**
   * Sends `item` with the next flush, at the latest in a later task: for what nobody awaits now
   * (a command the page's replica applied), so a loop of awaited commands costs one message.
   */
  sendSoon(item: T): void {
    this.#items.push(item);
    if (this.#items.length >= this.#max && this.#holds === 0) this.flush();
    else if (!this.#scheduled && !this.#soon) {
      this.#soon = true;
      setTimeout(() => {
        this.#soon = false;
        if (this.#holds === 0) this.flush();
      }, 0);
    }
  }

  /**
   * Something for the lead changed (the status): flush it in a later task, together with
   * whatever else comes by then, so a burst of status changes costs one message.
   */
  touch(): void {
    if (this.#lazy) return;
    this.#lazy = true;
    setTimeout(() => {
      this.#lazy = false;
      if (this.#holds === 0) this.flush();
    }, 0);
  }

  /**
   * Keeps the batch open until `work` settles (a command's answer), or to the next task at the
   * latest, so a slow answer (a leader in another tab) never holds back anything else long.
   */
  hold(work: Promise<unknown>): void {
    this.#holds++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.#holds--;
      this.#schedule();
    };
    work.then(release, release);
    setTimeout(release, 0);
  }

  /** Sends what is queued now (the lead first, when there is one). */
  flush(): void {
    const lead = this.#lead();
    const items = this.#items;
    this.#items = [];
    if (lead !== undefined) items.unshift(lead);
    if (items.length > 0) this.#post(items);
  }

  #schedule(): void {
    if (this.#scheduled || this.#holds > 0) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.#holds === 0) this.flush();
    });
  }
}

/** Whether two statuses hold the same values (the fields are plain values or shared arrays). */
export function sameStatus(a: SyncStatus, b: SyncStatus): boolean {
  for (const key of Object.keys(a) as Array<keyof SyncStatus>) if (a[key] !== b[key]) return false;
  return Object.keys(a).length === Object.keys(b).length;
}
