import type { Row } from '../shared/index.ts';
import type { Accepted, ClientStatus } from './backend.ts';
import type { RejectedRecord } from './client-storage.ts';
import type { CommandUpdate } from './command-lifecycle.ts';
import type { Query } from './query.ts';
import type { FeedBatch } from './row-feed.ts';

/**
 * The hot traffic between `createClient` and its worker: commands, subscriptions, and what
 * comes back (rows, command stages, status, rejections). It runs over one MessagePort of its
 * own beside Comlink, because a Comlink call costs a request and a reply each, and a Comlink
 * callback a MessageChannel each; here every message is one-way and carries a batch.
 *
 * Invariants:
 * - One port, so order holds: within a batch and across batches, items arrive as sent.
 * - The worker sends the status it has at each flush first in the batch, so the page's status
 *   is never older than a command stage it is told about.
 * - The last batch the worker sends is `{ kind: 'closed' }`: after it, nothing follows.
 */
export type ToWorker =
  | {
      readonly kind: 'submit';
      readonly id: string;
      readonly name: string;
      readonly args: unknown;
      /** When the page's replica ran it: the engine runs it at the same time. */
      readonly at?: number;
    }
  /** The page's replica: the leader's rows of `scopes` as changes, from now on (`feed` back). */
  | { readonly kind: 'feed'; readonly scopes: ReadonlyArray<string> }
  | { readonly kind: 'subscribe'; readonly subId: number; readonly query: Query }
  | { readonly kind: 'unsubscribe'; readonly subId: number }
  /** A one-shot query, behind the commands sent before it: answered with `queried` or `queryFailed`. */
  | { readonly kind: 'query'; readonly queryId: number; readonly query: Query }
  /** Answered with `drained` once everything sent before it has run (the page closes after it). */
  | { readonly kind: 'drain' };

export type FromWorker =
  | { readonly kind: 'status'; readonly status: ClientStatus }
  | { readonly kind: 'rows'; readonly subId: number; readonly rows: Row[] }
  /** Sent before the `accepted` of any command whose changes it holds (row-feed.ts). */
  | { readonly kind: 'feed'; readonly batch: FeedBatch }
  | { readonly kind: 'accepted'; readonly accepted: Accepted }
  | { readonly kind: 'queried'; readonly queryId: number; readonly rows: Row[] }
  | { readonly kind: 'queryFailed'; readonly queryId: number; readonly name: string; readonly message: string }
  /** The submit threw (a bug, or the worker was not opened): the command did not run. */
  | { readonly kind: 'failed'; readonly id: string; readonly message: string }
  | { readonly kind: 'update'; readonly update: CommandUpdate }
  | { readonly kind: 'rejected'; readonly rejection: RejectedRecord }
  | { readonly kind: 'drained' }
  | { readonly kind: 'closed' };

/**
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
export function sameStatus(a: ClientStatus, b: ClientStatus): boolean {
  for (const key of Object.keys(a) as Array<keyof ClientStatus>) if (a[key] !== b[key]) return false;
  return Object.keys(a).length === Object.keys(b).length;
}
