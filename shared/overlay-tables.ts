import type { ProjectionTx, Row, TableDefs, TableReader } from './define-app.ts';
import { findByScan, frozenRow, queryByScan } from './memory-tables.ts';
import { OrderedIndex } from './ordered-index.ts';
import { compareByPlan, declaredIndexes, indexName, type QueryPlan, type TableQuery } from './query-model.ts';

/** One change recorded by an overlay: a row put, or `null` for a delete. */
export interface RowChange {
  readonly table: string;
  readonly key: string;
  readonly row: Row | null;
}

/** A reader that can stream a planned query in index order: what an overlay layers over. */
export interface ScanReader extends TableReader {
  scan(plan: QueryPlan): Iterable<Row>;
}

/**
 * Writes layered over a read-only base without touching it: a command's scratch state while it
 * runs, and the client's optimistic state over its confirmed rows. Reads see the layer first.
 * Invariants: `changes()` replayed onto the base yields exactly what this overlay reads; for
 * each declared index, the layer keeps an ordered index of exactly its live (put) rows, so a
 * query merges two ordered streams (the base's, minus the keys the layer shadows, and the
 * layer's) and costs what it reads, not the layer's or the base's size.
 */
export class OverlayTables implements ProjectionTx, ScanReader {
  readonly #defs: TableDefs;
  readonly #base: ScanReader;
  readonly #layer = new Map<string, Map<string, Row | null>>();
  readonly #indexes = new Map<string, Map<string, OrderedIndex>>();

  constructor(defs: TableDefs, base: ScanReader) {
    this.#defs = defs;
    this.#base = base;
  }

  get(table: string, key: string): Row | undefined {
    const layered = this.#layer.get(table)?.get(key);
    if (layered !== undefined) return layered ?? undefined;
    return this.#base.get(table, key);
  }

  find(table: string, where: Readonly<Record<string, unknown>> = {}): Row[] {
    return findByScan(this.#defs, table, where, (plan) => this.scan(plan));
  }

  query(table: string, query?: TableQuery): Row[] {
    return queryByScan(this.#defs, table, query, (plan) => this.scan(plan));
  }

  scan(plan: QueryPlan): Iterable<Row> {
    const layer = this.#layer.get(plan.table);
    if (!layer || layer.size === 0) return this.#base.scan(plan);
    return this.#merge(plan, layer);
  }

  /** The base's rows the layer does not shadow, merged in index order with the layer's own. */
  *#merge(plan: QueryPlan, layer: Map<string, Row | null>): Generator<Row, void, undefined> {
    const open = plan.limit === undefined ? plan : { ...plan, limit: undefined };
    const index = this.#tableIndexes(plan.table).get(indexName(plan.fields)) as OrderedIndex;
    const base = this.#base.scan(open)[Symbol.iterator]();
    const mine = index.scan(open);
    const sign = plan.direction === 'asc' ? 1 : -1;
    const limit = plan.limit ?? Number.POSITIVE_INFINITY;
    let b = nextUnshadowed(base, layer, plan.key);
    let m = mine.next().value ?? undefined;
    for (let n = 0; n < limit && (b !== undefined || m !== undefined); n++) {
      if (m === undefined || (b !== undefined && sign * compareByPlan(plan, b, m) < 0)) {
        yield b as Row;
        b = nextUnshadowed(base, layer, plan.key);
      } else {
        yield m;
        m = mine.next().value ?? undefined;
      }
    }
  }

  put(table: string, row: Row): void {
    const key = row[this.#keyField(table)];
    if (typeof key !== 'string') throw new TypeError(`a ${table} row needs a string ${this.#keyField(table)}`);
    const frozen = frozenRow(row);
    const layer = this.#tableLayer(table);
    const previous = layer.get(key);
    layer.set(key, frozen);
    // Indexed only once a scan read through this layer (`#merge`): a command's scratch overlay
    // that writes after its reads never pays for them.
    const indexes = this.#indexes.get(table);
    if (!indexes) return;
    for (const index of indexes.values()) {
      // Same place in the index (its fields unchanged): `insert` replaces the entry in place.
      if (previous && compareByPlan(index, previous, frozen) !== 0) index.remove(previous);
      index.insert(frozen);
    }
  }

  delete(table: string, key: string): void {
    const layer = this.#tableLayer(table);
    const previous = layer.get(key);
    layer.set(key, null);
    if (!previous) return;
    const indexes = this.#indexes.get(table);
    if (indexes) for (const index of indexes.values()) index.remove(previous);
  }

  /** The table's ordered indexes of the layer's live rows, built at the first scan that needs them. */
  #tableIndexes(table: string): Map<string, OrderedIndex> {
    let indexes = this.#indexes.get(table);
    if (!indexes) {
      const def = this.#defs[table];
      if (!def) throw new TypeError(`unknown table ${table}`);
      indexes = new Map([[indexName([]), new OrderedIndex([], def.key)]]);
      for (const fields of declaredIndexes(def)) indexes.set(indexName(fields), new OrderedIndex(fields, def.key));
      const layer = this.#layer.get(table);
      if (layer) for (const row of layer.values()) if (row) for (const index of indexes.values()) index.insert(row);
      this.#indexes.set(table, indexes);
    }
    return indexes;
  }

  *changes(): IterableIterator<RowChange> {
    for (const [table, rows] of this.#layer) for (const [key, row] of rows) yield { table, key, row };
  }

  get isEmpty(): boolean {
    for (const rows of this.#layer.values()) if (rows.size > 0) return false;
    return true;
  }

  /** Writes every change onto `target` (usually the base this overlay was layered on). */
  commitTo(target: ProjectionTx): void {
    for (const { table, key, row } of this.changes()) {
      if (row) target.put(table, row);
      else target.delete(table, key);
    }
  }

  #tableLayer(table: string): Map<string, Row | null> {
    const existing = this.#layer.get(table);
    if (existing) return existing;
    this.#keyField(table);
    const rows = new Map<string, Row | null>();
    this.#layer.set(table, rows);
    return rows;
  }

  #keyField(table: string): string {
    const def = this.#defs[table];
    if (!def) throw new TypeError(`unknown table ${table}`);
    return def.key;
  }
}

/** The next row of `rows` whose key the layer does not hold (put or deleted there). */
function nextUnshadowed(rows: Iterator<Row>, layer: Map<string, Row | null>, key: string): Row | undefined {
  for (let next = rows.next(); !next.done; next = rows.next()) {
    if (!layer.has(next.value[key] as string)) return next.value;
  }
  return undefined;
}
