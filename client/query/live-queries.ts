import {
  compareByPlan,
  pastCursor,
  planMatches,
  planQuery,
  type QueryPlan,
  type Row,
  type TableDefs,
  type TableReader,
} from '../../shared/index.ts';
import { reportError } from '../base/index.ts';
import { type ChangedRow, DirtyRows } from './dirty-rows.ts';
import type { Query } from './query.ts';
import { sameRows } from './query.ts';

/** What a change did to one live result: the rows that left it and the rows that entered it. */
export interface LiveDiff {
  readonly removed: ReadonlyArray<Row>;
  readonly added: ReadonlyArray<Row>;
}

export interface LiveQueriesOptions {
  readonly tables: TableDefs;
  /** Runs a query from scratch over every scope (a subscription's first result, and any re-run). */
  readonly run: (query: Query) => Row[];
  /** The optimistic reader of one scope, for reading changed rows and refilling a window. */
  readonly readerOf: (scope: string) => TableReader | undefined;
  /** The scopes a query without `scope` reads. */
  readonly scopes: () => ReadonlyArray<string>;
}

/** What a row feed takes from live queries: the same reports of changed rows and tables. */
export interface LiveObserver {
  changed(scope: string, rows: ReadonlyArray<ChangedRow>): void;
  invalidate(scope: string, tables: ReadonlyArray<string>): void;
}

interface Subscription {
  readonly query: Query;
  readonly plan: QueryPlan;
  readonly callback: (rows: Row[], diff: LiveDiff) => void;
  rows: Row[];
  /**
   * `rows` by key, kept in step with them by each patch (`null`: rebuilt at the next patch), so
   * a patch finds a changed row's old version without indexing the whole window again.
   */
  byKey: Map<string, Row> | null;
}

/**
 * Live queries, maintained by diff. Writers report the rows they changed (`changed`) or, when
 * they cannot say, whole tables (`invalidate`); once per microtask each affected subscription
 * updates. A subscription over one scope applies each changed row to its ordered window: it
 * drops the row's old version, inserts the new one at its place by binary search when it
 * matches, and, when a full window lost rows, refills only the missing tail from the index
 * (`after` its last row). So a change costs O(log window + changed rows), not a re-run of the
 * query. Whole-table invalidations, and queries merging several scopes, re-run.
 * Invariant: after each flush, every subscription's rows equal a re-run of its query; its
 * callback fires only when they differ from what it last got.
 */
export class LiveQueries {
  readonly #options: LiveQueriesOptions;
  readonly #subscriptions = new Set<Subscription>();
  readonly #dirty = new DirtyRows();
  #scheduled = false;
  /** Row feeds (row-feed.ts) told of every change too: the pages' replicas mirror them. */
  readonly #observers = new Set<LiveObserver>();

  constructor(options: LiveQueriesOptions) {
    this.#options = options;
  }

  /** Calls `callback` with the current rows now, then after each change of them (with the diff). */
  subscribe(query: Query, callback: (rows: Row[], diff: LiveDiff) => void): () => void {
    const plan = planQuery(this.#options.tables, query.table, query);
    const rows = this.#options.run(query);
    const subscription: Subscription = { query, plan, callback, rows, byKey: null };
    this.#subscriptions.add(subscription);
    callback(rows, { removed: [], added: rows });
    return () => this.#subscriptions.delete(subscription);
  }

  /** Tells `observer` of every change reported from now on; returns the detach. */
  observe(observer: LiveObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Whole tables of `scope` changed in ways the writer cannot list: their subscriptions re-run. */
  invalidate(scope: string, tables: Iterable<string>): void {
    if (this.#observers.size > 0) {
      const list = [...tables];
      tables = list;
      for (const observer of this.#observers) observer.invalidate(scope, list);
    }
    if (this.#subscriptions.size === 0) return;
    this.#dirty.invalidate(scope, tables);
    this.#schedule();
  }

  /** These rows of `scope` were put or deleted. */
  changed(scope: string, rows: Iterable<ChangedRow>): void {
    if (this.#observers.size > 0) {
      const list = [...rows];
      rows = list;
      for (const observer of this.#observers) observer.changed(scope, list);
    }
    if (this.#subscriptions.size === 0) return;
    this.#dirty.changed(scope, rows);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#dirty.empty || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const dirty = this.#dirty.take();
    const all = this.#options.scopes();
    for (const subscription of this.#subscriptions) {
      const { query } = subscription;
      const scopes = query.scope === undefined ? all : [query.scope];
      const changes = scopes.map((scope) => dirty.get(scope)?.get(query.table));
      if (changes.every((change) => change === undefined)) continue;
      const single = scopes.length === 1 ? changes[0] : 'all';
      const patched =
        single === 'all' || single === undefined ? null : this.#patch(subscription, scopes[0] as string, single);
      let rows: Row[];
      let diff: LiveDiff;
      if (patched === null) {
        rows = this.#options.run(query);
        subscription.byKey = null;
        if (sameRows(rows, subscription.rows)) continue;
        diff = diffRows(subscription.rows, rows);
      } else {
        ({ rows, diff } = patched);
        // Nothing left or entered: the same row objects in the same order.
        if (diff.removed.length === 0 && diff.added.length === 0) continue;
        if (sameRows(rows, subscription.rows)) {
          subscription.byKey = null; // the patch moved it to rows this subscription does not keep
          continue;
        }
      }
      subscription.rows = rows;
      try {
        subscription.callback(rows, diff);
      } catch (error) {
        reportError(error);
      }
    }
  }

  /**
   * The subscription's window with `keys` re-read from `scope`, without re-running the query,
   * and its diff (the rows that left, the rows that entered, each in the window's order);
   * `null` when only a re-run can tell. Costs O(keys × log window) searches and one copy of
   * the window: `byKey` follows the window, so nothing is rebuilt per change.
   */
  #patch(subscription: Subscription, scope: string, keys: ReadonlySet<string>): { rows: Row[]; diff: LiveDiff } | null {
    const { query, plan, rows: before } = subscription;
    const reader = this.#options.readerOf(scope);
    if (!reader) {
      subscription.byKey = null;
      return { rows: [], diff: { removed: before, added: [] } };
    }
    const sign = plan.direction === 'asc' ? 1 : -1;
    const order = (a: Row, b: Row) => sign * compareByPlan(plan, a, b);
    let byKey = subscription.byKey;
    if (byKey === null) {
      byKey = new Map();
      for (const row of before) byKey.set(row[plan.key] as string, row);
      subscription.byKey = byKey;
    }
    const rows = before.slice();
    // A full window may have rows beyond it in the index: it is exact only up to its last row.
    const truncated = plan.limit !== undefined && rows.length >= plan.limit;
    const removed: Row[] = [];
    const added: Row[] = [];
    for (const key of keys) {
      const old = byKey.get(key);
      if (old === undefined) continue;
      rows.splice(search(rows, old, order), 1);
      byKey.delete(key);
      removed.push(old);
    }
    const lostRows = removed.length > 0;
    for (const key of keys) {
      const row = reader.get(query.table, key);
      if (row === undefined || !planMatches(plan, row) || !pastCursor(plan, row)) continue;
      const at = search(rows, row, order);
      if (truncated && at === rows.length) continue; // past the known part: the refill finds it
      rows.splice(at, 0, row);
      byKey.set(key, row);
      added.push(row);
    }
    if (plan.limit !== undefined && rows.length > plan.limit) {
      for (const row of rows.splice(plan.limit)) {
        byKey.delete(row[plan.key] as string);
        removed.push(row);
      }
    }
    if (truncated && lostRows && plan.limit !== undefined && rows.length < plan.limit) {
      const last = rows.at(-1);
      if (last === undefined) {
        subscription.byKey = null;
        return null;
      }
      const { table: _t, scope: _s, ...tableQuery } = query;
      for (const row of reader.query(query.table, { ...tableQuery, after: last, limit: plan.limit - rows.length })) {
        rows.push(row);
        byKey.set(row[plan.key] as string, row);
        added.push(row);
      }
    }
    return { rows, diff: netDiff(removed, added, order) };
  }
}

/** `removed` and `added` without the rows in both (left and came back), each in window order. */
function netDiff(removed: Row[], added: Row[], order: (a: Row, b: Row) => number): LiveDiff {
  if (removed.length > 0 && added.length > 0) {
    const gone = new Set(removed);
    const back = new Set(added);
    removed = removed.filter((row) => !back.has(row));
    added = added.filter((row) => !gone.has(row));
  }
  if (removed.length > 1) removed.sort(order);
  if (added.length > 1) added.sort(order);
  return { removed, added };
}

/** The first position whose row sorts at or after `row`. */
function search(rows: ReadonlyArray<Row>, row: Row, order: (a: Row, b: Row) => number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order(rows[mid] as Row, row) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function diffRows(before: ReadonlyArray<Row>, after: ReadonlyArray<Row>): LiveDiff {
  const was = new Set(before);
  const is = new Set(after);
  return { removed: before.filter((row) => !is.has(row)), added: after.filter((row) => !was.has(row)) };
}
