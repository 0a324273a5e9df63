import type { WireEvent } from '../shared/index.ts';
import type { EventStore } from './store/port.ts';

export type LiveListener = (events: ReadonlyArray<WireEvent>, head: number) => void;

/** Events read at once when catching up with another node's commits. */
const CATCH_UP_PAGE = 1000;
/** Scopes whose latest head the hub remembers, to tell another node's commits from its own. */
const REMEMBERED_HEADS = 10_000;

/**
 * In-process fan-out of committed events to live subscribers, per scope. Publishing is
 * synchronous and in commit order, so every subscriber of a scope sees the same order.
 *
 * With a store shared by several nodes (`EventStore.onAppended`), `follow` also fans out the
 * events other nodes appended: one read per scope and notice, however many subscribers. Those
 * may arrive after later local events; subscribers dedupe by seq and fill gaps from the store
 * (`live.ts`), so each still sees every event once and in order.
 */
export class LiveHub {
  readonly #listeners = new Map<string, Set<LiveListener>>();
  /** The highest seq fanned out per subscribed scope. */
  readonly #published = new Map<string, number>();
  /** The highest head this node has seen per scope, from its own commits or another node's notice. */
  readonly #heads = new Map<string, number>();
  readonly #catchingUp = new Map<string, Promise<void>>();

  subscribe(scope: string, listener: LiveListener): () => void {
    let set = this.#listeners.get(scope);
    if (!set) {
      set = new Set();
      this.#listeners.set(scope, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(scope) === set) {
        this.#listeners.delete(scope);
        this.#published.delete(scope);
      }
    };
  }

  publish(scope: string, events: ReadonlyArray<WireEvent>, head: number): void {
    this.#see(scope, head);
    this.#fanOut(scope, events, head);
  }

  /**
   * Follows another node's commits through `store.onAppended`: reads the events of subscribed
   * scopes this hub has not published yet and fans them out, and calls `onNews(scope)` when a
   * head moved past anything this node committed or heard of (to drop a stale cached state).
   */
  follow(store: EventStore, onNews: (scope: string) => void = () => {}): () => void {
    if (!store.onAppended) return () => {};
    return store.onAppended((scope, head) => {
      if (head > (this.#heads.get(scope) ?? 0)) {
        this.#see(scope, head);
        onNews(scope);
      }
      if (this.#listeners.has(scope) && head > (this.#published.get(scope) ?? 0)) this.#catchUp(store, scope, head);
    });
  }

  /** Live connections across all scopes, for metrics. */
  get subscriberCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  #fanOut(scope: string, events: ReadonlyArray<WireEvent>, head: number): void {
    const set = this.#listeners.get(scope);
    const last = events.at(-1)?.seq;
    if (!set || last === undefined) return;
    this.#published.set(scope, Math.max(this.#published.get(scope) ?? 0, last));
    for (const listener of [...set]) listener(events, head);
  }

  #see(scope: string, head: number): void {
    const known = this.#heads.get(scope) ?? 0;
    this.#heads.delete(scope);
    this.#heads.set(scope, Math.max(known, head));
    if (this.#heads.size > REMEMBERED_HEADS) {
      const oldest = this.#heads.keys().next().value;
      if (oldest !== undefined) this.#heads.delete(oldest);
    }
  }

  /** Reads up to `head`, one catch-up at a time per scope, from where this hub's fan-out stands. */
  #catchUp(store: EventStore, scope: string, head: number): void {
    const previous = this.#catchingUp.get(scope) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        for (;;) {
          if (!this.#listeners.has(scope)) return;
          // A scope first heard of here: its subscribers fill anything older from the store.
          const after = this.#published.get(scope) ?? head - 1;
          if (after >= head) return;
          const page = await store.readEvents(scope, after, Math.min(head - after, CATCH_UP_PAGE));
          if (page.events.length === 0) return;
          this.#fanOut(scope, page.events, page.head);
        }
      })
      .catch((error: unknown) => console.error(`weft: catching up with ${scope} failed`, error));
    this.#catchingUp.set(scope, next);
    void next.finally(() => {
      if (this.#catchingUp.get(scope) === next) this.#catchingUp.delete(scope);
    });
  }
}
