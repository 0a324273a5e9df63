import type { ProjectionTx, Row, TableDefs, TableReader } from './define-app.ts';
import { compareKeys, matches } from './memory-tables.ts';

/** One change recorded by an overlay: a row put, or `null` for a delete. */
export interface RowChange {
  readonly table: string;
  readonly key: string;
  readonly row: Row | null;
}

/**
 * Writes layered over a read-only base without touching it: a command's scratch state while it
 * runs, and the client's optimistic state over its confirmed rows. Reads see the layer first.
 * Invariant: `changes()` replayed onto the base yields exactly what this overlay reads.
 */
export class OverlayTables implements ProjectionTx {
  readonly #defs: TableDefs;
  readonly #base: TableReader;
  readonly #layer = new Map<string, Map<string, Row | null>>();

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
    const found = base.filter((row) => !layer.has(row[keyField] as string));
    for (const row of layer.values()) if (row && matches(row, where)) found.push(row);
    return found.sort((a, b) => compareKeys(a[keyField] as string, b[keyField] as string));
  }

  put(table: string, row: Row): void {
    const key = row[this.#keyField(table)];
    if (typeof key !== 'string') throw new TypeError(`a ${table} row needs a string ${this.#keyField(table)}`);
    this.#tableLayer(table).set(key, Object.freeze({ ...row }));
  }

  delete(table: string, key: string): void {
    this.#tableLayer(table).set(key, null);
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
