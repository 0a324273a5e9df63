import type { ProjectionTx, Row, TableDefs } from './define-app.ts';
import { OrderedIndex } from './ordered-index.ts';
import {
  compareByPlan,
  declaredIndexes,
  indexName,
  planFind,
  planQuery,
  type QueryPlan,
  type TableQuery,
} from './query-model.ts';

interface StoredTable {
  readonly rows: Map<string, Row>;
  /** By `indexName`: every declared index, and the key index (`:key`, no fields). */
  readonly indexes: Map<string, OrderedIndex>;
}

/**
 * The projection tables of one scope, in memory: the server's authoritative scope state, the
 * client's cache of confirmed rows, and the state of tests. Rows are frozen on write, so a
 * handler cannot change stored state except through `put`.
 * Invariants: every ordered index holds exactly the stored rows, each once; `find` is sorted by key.
 */
export class MemoryTables implements ProjectionTx {
  readonly #defs: TableDefs;
  readonly #tables = new Map<string, StoredTable>();

  constructor(defs: TableDefs) {
    this.#defs = defs;
    for (const [name, def] of Object.entries(defs)) {
      const indexes = new Map<string, OrderedIndex>([[indexName([]), new OrderedIndex([], def.key)]]);
      for (const fields of declaredIndexes(def)) indexes.set(indexName(fields), new OrderedIndex(fields, def.key));
      this.#tables.set(name, { rows: new Map(), indexes });
    }
  }

  get(table: string, key: string): Row | undefined {
    return this.#table(table).rows.get(key);
  }

  find(table: string, where: Readonly<Record<string, unknown>> = {}): Row[] {
    return findByScan(this.#defs, table, where, (plan) => this.scan(plan));
  }

  query(table: string, query?: TableQuery): Row[] {
    return queryByScan(this.#defs, table, query, (plan) => this.scan(plan));
  }

  /** The rows `plan` reads, in its order: what overlays merge their layer into. */
  scan(plan: QueryPlan): Iterable<Row> {
    const index = this.#table(plan.table).indexes.get(indexName(plan.fields));
    if (!index) throw new TypeError(`table ${plan.table} has no index [${plan.fields}]`);
    return index.scan(plan);
  }

  put(table: string, row: Row): void {
    const key = row[this.#def(table).key];
    if (typeof key !== 'string') throw new TypeError(`a ${table} row needs a string ${this.#def(table).key}`);
    const stored = this.#table(table);
    const previous = stored.rows.get(key);
    const frozen = frozenRow(row);
    stored.rows.set(key, frozen);
    for (const index of stored.indexes.values()) {
      // Same place in the index (its fields unchanged): `insert` replaces the entry in place.
      if (previous && compareByPlan(index, previous, frozen) !== 0) index.remove(previous);
      index.insert(frozen);
    }
  }

  delete(table: string, key: string): void {
    const stored = this.#table(table);
    const previous = stored.rows.get(key);
    if (!previous) return;
    stored.rows.delete(key);
    for (const index of stored.indexes.values()) index.remove(previous);
  }

  /** Every row of every table, for snapshots and for comparing two states. */
  dump(): Record<string, Row[]> {
    const out: Record<string, Row[]> = {};
    for (const name of this.#tables.keys()) out[name] = this.find(name);
    return out;
  }

  /** Rebuilds tables from `dump()` output. */
  static restore(defs: TableDefs, dump: Readonly<Record<string, ReadonlyArray<Row>>>): MemoryTables {
    const tables = new MemoryTables(defs);
    for (const [name, rows] of Object.entries(dump)) for (const row of rows) tables.put(name, row);
    return tables;
  }

  get size(): number {
    let n = 0;
    for (const { rows } of this.#tables.values()) n += rows.size;
    return n;
  }

  #table(name: string): StoredTable {
    const stored = this.#tables.get(name);
    if (!stored) throw new TypeError(`unknown table ${name}`);
    return stored;
  }

  #def(name: string) {
    const def = this.#defs[name];
    if (!def) throw new TypeError(`unknown table ${name}`);
    return def;
  }
}

/**
 * `row` as stored: frozen, so no writer changes it behind the store's back. A plain row frozen
 * already (another overlay's, being committed) is kept as it is, not copied again.
 */
export function frozenRow(row: Row): Row {
  if (Object.isFrozen(row) && Object.getPrototypeOf(row) === Object.prototype) return row;
  return Object.freeze({ ...row });
}

export function matches(row: Row, where: Readonly<Record<string, unknown>>, fields = Object.keys(where)): boolean {
  for (const field of fields) if (row[field] !== where[field]) return false;
  return true;
}

/** Code-unit order: the same in every JavaScript engine and in IndexedDB key order for strings. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `find` of any store that scans a plan in index order (memory tables, overlays, the client's
 * storage-backed base): the rows matching `where` exactly, sorted by key. One definition, so
 * every store answers alike.
 */
export function findByScan(
  defs: TableDefs,
  table: string,
  where: Readonly<Record<string, unknown>>,
  scan: (plan: QueryPlan) => Iterable<Row>,
): Row[] {
  const { plan, residual, keyOrder } = planFind(defs, table, where);
  const found: Row[] = [];
  for (const row of scan(plan)) if (matches(row, where, residual)) found.push(row);
  if (!keyOrder) found.sort((a, b) => compareKeys(a[plan.key] as string, b[plan.key] as string));
  return found;
}

/** `query` of any store that scans a plan in index order: the plan's rows, in its order. */
export function queryByScan(
  defs: TableDefs,
  table: string,
  query: TableQuery | undefined,
  scan: (plan: QueryPlan) => Iterable<Row>,
): Row[] {
  return [...scan(planQuery(defs, table, query))];
}
