import type { Row } from './define-app.ts';
import { compareByPlan, compareValues, type QueryPlan } from './query-model.ts';

/**
 * One declared index in memory: the rows of a table, sorted by the index's fields, then by key.
 * Invariants: `#rows` is strictly increasing under `compareByPlan` (keys are unique); a row is
 * in it exactly while it is stored. Reads binary-search their bounds, so `ctx.last` costs
 * O(log n) and a `limit` query O(log n + limit); a write costs a search and one splice.
 */
export class OrderedIndex {
  readonly fields: ReadonlyArray<string>;
  readonly key: string;
  readonly #rows: Row[] = [];

  constructor(fields: ReadonlyArray<string>, key: string) {
    this.fields = fields;
    this.key = key;
  }

  get size(): number {
    return this.#rows.length;
  }

  insert(row: Row): void {
    const at = this.#search(row);
    if (this.#rows[at] !== undefined && compareByPlan(this, this.#rows[at] as Row, row) === 0) this.#rows[at] = row;
    else this.#rows.splice(at, 0, row);
  }

  /** Removes the entry of `row` (the stored version, whose values place it). */
  remove(row: Row): void {
    const at = this.#search(row);
    const found = this.#rows[at];
    if (found !== undefined && compareByPlan(this, found, row) === 0) this.#rows.splice(at, 1);
  }

  /** The rows `plan` reads (its prefix, range and cursor), in its direction, up to its limit. */
  *scan(plan: QueryPlan): Generator<Row, void, undefined> {
    let [start, end] = this.bounds(plan);
    const limit = plan.limit ?? Number.POSITIVE_INFINITY;
    let n = 0;
    if (plan.direction === 'asc') {
      for (; start < end && n < limit; start++, n++) yield this.#rows[start] as Row;
    } else {
      for (; end > start && n < limit; n++) yield this.#rows[--end] as Row;
    }
  }

  /** `[start, end)`: the positions of the rows `plan` reads, before its limit. */
  bounds(plan: QueryPlan): [number, number] {
    const p = plan.prefix;
    const r = plan.range;
    let start = this.#bound(p, -1);
    let end = this.#bound(p, 1);
    if (r !== undefined) {
      if (r.gte !== undefined) start = Math.max(start, this.#bound([...p, r.gte], -1));
      if (r.gt !== undefined) start = Math.max(start, this.#bound([...p, r.gt], 1));
      if (r.lte !== undefined) end = Math.min(end, this.#bound([...p, r.lte], 1));
      if (r.lt !== undefined) end = Math.min(end, this.#bound([...p, r.lt], -1));
    }
    if (plan.after !== undefined) {
      const cursor = [...this.fields, this.key].map((f) => (plan.after as Row)[f]);
      if (plan.direction === 'asc') start = Math.max(start, this.#bound(cursor, 1));
      else end = Math.min(end, this.#bound(cursor, -1));
    }
    return [start, Math.max(start, end)];
  }

  /** Every row, in index order. */
  all(): ReadonlyArray<Row> {
    return this.#rows;
  }

  /** The first position whose row is at or after `row`. */
  #search(row: Row): number {
    let lo = 0;
    let hi = this.#rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareByPlan(this, this.#rows[mid] as Row, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The first position whose row sorts after the bound: `values` (a prefix of the index fields,
   * then the key) placed before (`side` -1) or after (`side` 1) every row that starts with them.
   */
  #bound(values: ReadonlyArray<unknown>, side: -1 | 1): number {
    let lo = 0;
    let hi = this.#rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compareToBound(this.#rows[mid] as Row, values, side) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #compareToBound(row: Row, values: ReadonlyArray<unknown>, side: -1 | 1): number {
    const fields = this.fields;
    for (let i = 0; i < values.length; i++) {
      const field = i < fields.length ? (fields[i] as string) : this.key;
      const c = compareValues(row[field], values[i]);
      if (c !== 0) return c;
    }
    return -side;
  }
}
