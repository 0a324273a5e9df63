import type { Row } from './define-app.ts';
import { compareByPlan, compareValues, type QueryPlan } from './query-model.ts';

/** Rows per block: a write moves at most this many entries, a block search is over n / BLOCK. */
const BLOCK = 256;

/** A position in the index: block, then offset within it. */
type Cursor = [block: number, offset: number];

/**
 * One declared index in memory: the rows of a table, sorted by the index's fields, then by key,
 * kept in blocks of at most `2 × BLOCK` rows (a flat sorted array would move up to n entries per
 * write: a millisecond at 100,000 rows).
 * Invariants: the concatenated blocks are strictly increasing under `compareByPlan` (keys are
 * unique); no block is empty; a row is in it exactly while it is stored. Reads binary-search
 * the blocks, then one block, so `ctx.last` costs O(log n) and a `limit` query
 * O(log n + limit); a write costs the same search and one splice of at most `2 × BLOCK`.
 */
export class OrderedIndex {
  readonly fields: ReadonlyArray<string>;
  readonly key: string;
  readonly #blocks: Row[][] = [];
  readonly #block: number;
  #size = 0;

  /** `block` is for tests, which split and drop blocks with a handful of rows. */
  constructor(fields: ReadonlyArray<string>, key: string, block = BLOCK) {
    this.fields = fields;
    this.key = key;
    this.#block = block;
  }

  get size(): number {
    return this.#size;
  }

  insert(row: Row): void {
    const blocks = this.#blocks;
    if (blocks.length === 0) {
      blocks.push([row]);
      this.#size = 1;
      return;
    }
    // The block to hold it: the last whose first row is not after it (or the first block).
    const b = Math.max(0, this.#blockOfRow(row));
    const block = blocks[b] as Row[];
    const at = this.#searchRow(block, row);
    if (at < block.length && compareByPlan(this, block[at] as Row, row) === 0) {
      block[at] = row;
      return;
    }
    block.splice(at, 0, row);
    this.#size++;
    if (block.length > 2 * this.#block) blocks.splice(b + 1, 0, block.splice(this.#block));
  }

  /** Removes the entry of `row` (the stored version, whose values place it). */
  remove(row: Row): void {
    const b = this.#blockOfRow(row);
    if (b < 0) return;
    const block = this.#blocks[b] as Row[];
    const at = this.#searchRow(block, row);
    if (at >= block.length || compareByPlan(this, block[at] as Row, row) !== 0) return;
    block.splice(at, 1);
    this.#size--;
    if (block.length === 0) this.#blocks.splice(b, 1);
  }

  /** The rows `plan` reads (its prefix, range and cursor), in its direction, up to its limit. */
  *scan(plan: QueryPlan): Generator<Row, void, undefined> {
    const [start, end] = this.#bounds(plan);
    const limit = plan.limit ?? Number.POSITIVE_INFINITY;
    const blocks = this.#blocks;
    let n = 0;
    if (plan.direction === 'asc') {
      let [b, i] = start;
      while (n < limit && before([b, i], end)) {
        const block = blocks[b] as Row[];
        if (i >= block.length) {
          b++;
          i = 0;
          continue;
        }
        yield block[i++] as Row;
        n++;
      }
    } else {
      let [b, i] = end;
      while (n < limit && before(start, [b, i])) {
        if (i === 0) {
          b--;
          i = (blocks[b] as Row[]).length;
          continue;
        }
        yield (blocks[b] as Row[])[--i] as Row;
        n++;
      }
    }
  }

  /** Every row, in index order. */
  *all(): Generator<Row, void, undefined> {
    for (const block of this.#blocks) yield* block;
  }

  /** `[start, end)`: where the rows `plan` reads lie, before its limit. */
  #bounds(plan: QueryPlan): [Cursor, Cursor] {
    // No closures on this path: it runs on every `ctx.last`, and closures cost allocations.
    const p = plan.prefix;
    const r = plan.range;
    let start = this.#bound(p, NONE, -1);
    let end = this.#bound(p, NONE, 1);
    if (r !== undefined) {
      if (r.gte !== undefined) start = later(start, this.#bound(p, r.gte, -1));
      if (r.gt !== undefined) start = later(start, this.#bound(p, r.gt, 1));
      if (r.lte !== undefined) end = earlier(end, this.#bound(p, r.lte, 1));
      if (r.lt !== undefined) end = earlier(end, this.#bound(p, r.lt, -1));
    }
    if (plan.after !== undefined) {
      const cursor: unknown[] = [];
      for (const field of this.fields) cursor.push(plan.after[field]);
      if (plan.direction === 'asc') start = later(start, this.#bound(cursor, plan.after[this.key], 1));
      else end = earlier(end, this.#bound(cursor, plan.after[this.key], -1));
    }
    return [start, later(start, end)];
  }

  /**
   * The position of the first row that sorts after the bound: `values`, then `next` unless it is
   * `NONE` (a prefix of the index fields, then the key), placed before (`side` -1) or after
   * (`side` 1) every row starting with them.
   */
  #bound(values: ReadonlyArray<unknown>, next: unknown, side: -1 | 1): Cursor {
    const blocks = this.#blocks;
    // The last block whose first row is below the bound holds the boundary (or ends right before it).
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compareToBound((blocks[mid] as Row[])[0] as Row, values, next, side) < 0) lo = mid + 1;
      else hi = mid;
    }
    const b = lo - 1;
    if (b < 0) return [0, 0];
    const block = blocks[b] as Row[];
    lo = 0;
    hi = block.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compareToBound(block[mid] as Row, values, next, side) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < block.length ? [b, lo] : [b + 1, 0];
  }

  /** The last block whose first row is at or before `row`, or -1. */
  #blockOfRow(row: Row): number {
    const blocks = this.#blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareByPlan(this, (blocks[mid] as Row[])[0] as Row, row) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** The first position in `block` at or after `row`. */
  #searchRow(block: ReadonlyArray<Row>, row: Row): number {
    let lo = 0;
    let hi = block.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareByPlan(this, block[mid] as Row, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #compareToBound(row: Row, values: ReadonlyArray<unknown>, next: unknown, side: -1 | 1): number {
    const fields = this.fields;
    const n = values.length;
    for (let i = 0; i < n; i++) {
      const c = compareValues(row[i < fields.length ? (fields[i] as string) : this.key], values[i]);
      if (c !== 0) return c;
    }
    if (next !== NONE) {
      const c = compareValues(row[n < fields.length ? (fields[n] as string) : this.key], next);
      if (c !== 0) return c;
    }
    return -side;
  }
}

/** "No further bound value" for `#bound` (undefined is a value: it sorts first). */
const NONE = Symbol('none');

function later(a: Cursor, b: Cursor): Cursor {
  return before(a, b) ? b : a;
}

function earlier(a: Cursor, b: Cursor): Cursor {
  return before(a, b) ? a : b;
}

/**
 * Whether cursor `a` is strictly before `b`. Bounds are normalised (an offset inside its block,
 * or the next block's start); a scan's own cursor is normalised before it yields.
 */
function before(a: Cursor, b: Cursor): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}
