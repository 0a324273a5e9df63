import type { ProjectionTx, Row, TableDefs, TableReader } from './define-app.ts';
import { matches } from './memory-tables.ts';

/** One change recorded by an overlay: a row put, or `null` for a delete. */
export interface RowChange {
  readonly table: string;
  readonly key: string;
  readonly row: Row | null;
}

/**
 * Writes layered over a read-only base without touching it: a command's scratch state while it
 * runs, and the client's optimistic state over its confirmed rows. Reads see the layer first.
 * Invariants: `changes()` replayed onto the base yields exactly what this overlay reads; for
 * each declared index, `#indexes` maps a value to exactly the keys of the layer's live rows
 * holding it, so a `find` on an indexed field costs what it matches, not the layer's size.
 */
export class OverlayTables implements ProjectionTx {
  readonly #defs: TableDefs;
  readonly #base: TableReader;
  readonly #layer = new Map<string, Map<string, Row | null>>();
  readonly #indexes = new Map<string, Map<string, Map<unknown, Set<string>>>>();

  constructor(defs: TableDefs, base: TableReader) {
    this.#defs = defs;
    this.#base = base;
  }

  get(table: string, key: string): Row | undefined {
    const layered = this.#layer.get(table)?.get(key);
    if (layered !== undefined) return layered ?? undefined;
    return this.#base.get(table, key);
  }

  find(table: string, where: Readonly<Record<string, unknown>> = {}): Row[] {
    const layer = this.#layer.get(table);
    const base = this.#base.find(table, where);
    if (!layer || layer.size === 0) return base;
    const keyField = this.#keyField(table);
    const added: string[] = [];
    for (const key of this.#candidates(table, layer, where)) {
      const row = layer.get(key);
      if (row && matches(row, where)) added.push(key);
    }
    added.sort(); // code-unit order, as `compareKeys`
    // Both lists are sorted by key: merge them instead of sorting the whole result again.
    const found: Row[] = [];
    let next = 0;
    for (const row of base) {
      const key = row[keyField] as string;
      if (layer.has(key)) continue;
      for (; next < added.length && (added[next] as string) < key; next++)
        found.push(layer.get(added[next] as string) as Row);
      found.push(row);
    }
    for (; next < added.length; next++) found.push(layer.get(added[next] as string) as Row);
    return found;
  }

  put(table: string, row: Row): void {
    const key = row[this.#keyField(table)];
    if (typeof key !== 'string') throw new TypeError(`a ${table} row needs a string ${this.#keyField(table)}`);
    const frozen = Object.freeze({ ...row });
    this.#unindex(table, key);
    this.#tableLayer(table).set(key, frozen);
    for (const [field, index] of this.#tableIndexes(table)) {
      const keys = index.get(frozen[field]);
      if (keys) keys.add(key);
      else index.set(frozen[field], new Set([key]));
    }
  }

  delete(table: string, key: string): void {
    this.#unindex(table, key);
    this.#tableLayer(table).set(key, null);
  }

  /** The keys of the layer rows a `find` must test: those of one indexed value when `where` names one. */
  #candidates(
    table: string,
    layer: Map<string, Row | null>,
    where: Readonly<Record<string, unknown>>,
  ): Iterable<string> {
    const indexes = this.#tableIndexes(table);
    for (const field of Object.keys(where)) {
      const index = indexes.get(field);
      if (index) return index.get(where[field]) ?? [];
    }
    return layer.keys();
  }

  #unindex(table: string, key: string): void {
    const previous = this.#layer.get(table)?.get(key);
    if (!previous) return;
    for (const [field, index] of this.#tableIndexes(table)) {
      const keys = index.get(previous[field]);
      keys?.delete(key);
      if (keys?.size === 0) index.delete(previous[field]);
    }
  }

  #tableIndexes(table: string): Map<string, Map<unknown, Set<string>>> {
    let indexes = this.#indexes.get(table);
    if (!indexes) {
      const def = this.#defs[table];
      if (!def) throw new TypeError(`unknown table ${table}`);
      indexes = new Map(def.indexes.map((field) => [field, new Map<unknown, Set<string>>()]));
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
