import type { ProjectionTx, Row, TableDefs } from './define-app.ts';

/**
 * The projection tables of one scope, in memory: the server's authoritative scope state, the
 * client's cache of confirmed rows, and the state of tests. Rows are frozen on write, so a
 * handler cannot change stored state except through `put`.
 * Invariants: every index entry points at a stored row holding that value; `find` is sorted by key.
 */
export class MemoryTables implements ProjectionTx {
  readonly #defs: TableDefs;
  readonly #rows = new Map<string, Map<string, Row>>();
  readonly #indexes = new Map<string, Map<string, Map<unknown, Set<string>>>>();

  constructor(defs: TableDefs) {
    this.#defs = defs;
    for (const [name, def] of Object.entries(defs)) {
      this.#rows.set(name, new Map());
      this.#indexes.set(name, new Map(def.indexes.map((field) => [field, new Map()])));
    }
  }

  get(table: string, key: string): Row | undefined {
    return this.#table(table).get(key);
  }

  find(table: string, where: Readonly<Record<string, unknown>> = {}): Row[] {
    const rows = this.#table(table);
    const fields = Object.keys(where);
    const indexed = fields.find((field) => this.#indexes.get(table)?.has(field));
    const candidates =
      indexed === undefined ? rows.keys() : (this.#indexes.get(table)?.get(indexed)?.get(where[indexed]) ?? []);
    const keys: string[] = [];
    for (const key of candidates) if (matches(rows.get(key) as Row, where, fields)) keys.push(key);
    // Sorting the key strings with the default order (UTF-16 code units, as `compareKeys`)
    // costs a fraction of a comparator over rows; handlers call `find` on every command.
    keys.sort();
    return keys.map((key) => rows.get(key) as Row);
  }

  put(table: string, row: Row): void {
    const key = row[this.#def(table).key];
    if (typeof key !== 'string') throw new TypeError(`a ${table} row needs a string ${this.#def(table).key}`);
    const previous = this.#table(table).get(key);
    if (previous) this.#unindex(table, key, previous);
    const frozen = Object.freeze({ ...row });
    this.#table(table).set(key, frozen);
    for (const [field, index] of this.#indexes.get(table) ?? []) {
      const value = frozen[field];
      const keys = index.get(value);
      if (keys) keys.add(key);
      else index.set(value, new Set([key]));
    }
  }

  delete(table: string, key: string): void {
    const previous = this.#table(table).get(key);
    if (!previous) return;
    this.#unindex(table, key, previous);
    this.#table(table).delete(key);
  }

  /** Every row of every table, for snapshots and for comparing two states. */
  dump(): Record<string, Row[]> {
    const out: Record<string, Row[]> = {};
    for (const name of this.#rows.keys()) out[name] = this.find(name);
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
    for (const rows of this.#rows.values()) n += rows.size;
    return n;
  }

  #unindex(table: string, key: string, row: Row): void {
    for (const [field, index] of this.#indexes.get(table) ?? []) {
      const keys = index.get(row[field]);
      keys?.delete(key);
      if (keys?.size === 0) index.delete(row[field]);
    }
  }

  #table(name: string): Map<string, Row> {
    const rows = this.#rows.get(name);
    if (!rows) throw new TypeError(`unknown table ${name}`);
    return rows;
  }

  #def(name: string) {
    const def = this.#defs[name];
    if (!def) throw new TypeError(`unknown table ${name}`);
    return def;
  }
}

export function matches(row: Row, where: Readonly<Record<string, unknown>>, fields = Object.keys(where)): boolean {
  for (const field of fields) if (row[field] !== where[field]) return false;
  return true;
}

/** Code-unit order: the same in every JavaScript engine and in IndexedDB key order for strings. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
