import type { Row } from '../shared/index.ts';
import type { Query } from './query.ts';
import { sameRows } from './query.ts';
import { reportError } from './report-error.ts';

interface Subscription {
  readonly query: Query;
  readonly callback: (rows: Row[]) => void;
  rows: Row[];
}

/**
 * Live queries. Writers report which tables of which scope they changed; once per microtask
 * the subscriptions that read one of those re-run, and their callback fires only when the
 * result differs from the last one it got. So a burst of executes costs one re-run per
 * affected query, and a confirmation that changes nothing visible costs no callback.
 */
export class LiveQueries {
  readonly #run: (query: Query) => Row[];
  readonly #subscriptions = new Set<Subscription>();
  /** Table → scopes changed since the last flush. */
  #dirty = new Map<string, Set<string>>();
  #scheduled = false;

  constructor(run: (query: Query) => Row[]) {
    this.#run = run;
  }

  /** Calls `callback` with the current rows now, then after each change of them. */
  subscribe(query: Query, callback: (rows: Row[]) => void): () => void {
    const subscription: Subscription = { query, callback, rows: this.#run(query) };
    this.#subscriptions.add(subscription);
    callback(subscription.rows);
    return () => this.#subscriptions.delete(subscription);
  }

  invalidate(scope: string, tables: Iterable<string>): void {
    if (this.#subscriptions.size === 0) return;
    for (const table of tables) {
      const scopes = this.#dirty.get(table);
      if (scopes) scopes.add(scope);
      else this.#dirty.set(table, new Set([scope]));
    }
    if (this.#dirty.size === 0 || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const dirty = this.#dirty;
    this.#dirty = new Map();
    for (const subscription of this.#subscriptions) {
      const scopes = dirty.get(subscription.query.table);
      if (!scopes) continue;
      if (subscription.query.scope !== undefined && !scopes.has(subscription.query.scope)) continue;
      const rows = this.#run(subscription.query);
      if (sameRows(rows, subscription.rows)) continue;
      subscription.rows = rows;
      try {
        subscription.callback(rows);
      } catch (error) {
        reportError(error);
      }
    }
  }
}
