import {
  compareKeys,
  planQuery,
  type Row,
  runPlanOn,
  type TableDefs,
  type TableQuery,
  type WireEvent,
} from '../../shared/index.ts';
import {
  type ClientStorage,
  CONFIRMED_RECORDS_KEPT,
  type LoadRequest,
  type OutboxRecord,
  type ScopeMeta,
  type SettledRecord,
  type StorageCommit,
  type StoredState,
} from './client-storage.ts';

/**
 * Storage that lives as long as the object: for tests, and for running where IndexedDB is
 * missing (status then says "not persisted"). Values are structured-cloned on the way in and
 * out, as IndexedDB does, so callers can never alias stored state. Pass the same instance to
 * a second engine to simulate a reload.
 *
 * @example
 * const storage = memoryStorage({ tables: app.tables });
 */
export function memoryStorage(options: { readonly tables: TableDefs }): ClientStorage {
  return new MemoryStorage(options.tables);
}

class MemoryStorage implements ClientStorage {
  readonly #tables: TableDefs;
  #clientId: string | null = null;
  #lastSeq = 0;
  readonly #events = new Map<string, WireEvent>();
  readonly #outbox = new Map<number, OutboxRecord>();
  /** Rows by `table`, then `scope`, then key. */
  readonly #rows = new Map<string, Map<string, Map<string, Row>>>();
  readonly #cursors = new Map<string, number>();
  readonly #scopeMeta = new Map<string, ScopeMeta>();
  readonly #settled = new Map<string, SettledRecord>();
  /** Serialises commits, so they apply in call order even though each is async. */
  #tail: Promise<void> = Promise.resolve();

  constructor(tables: TableDefs) {
    this.#tables = tables;
  }

  async load({ scopes, newClientId, lazy }: LoadRequest): Promise<StoredState> {
    await this.#tail;
    this.#clientId ??= newClientId();
    const outbox = [...this.#outbox.values()].sort((a, b) => a.seq - b.seq);
    const written = new Set(outbox.map((command) => command.scope));
    const wanted = new Set([...scopes, ...written]);
    const cursors: Record<string, number> = {};
    const rows: StoredState['rows'] = [];
    const scopeMeta: StoredState['scopeMeta'] = {};
    for (const scope of wanted) {
      const cursor = this.#cursors.get(scope);
      if (cursor !== undefined) cursors[scope] = cursor;
      const meta = this.#scopeMeta.get(scope);
      if (meta) scopeMeta[scope] = meta;
      if (lazy) continue;
      for (const [table, byScope] of this.#rows) {
        for (const [key, row] of byScope.get(scope) ?? []) rows.push({ table, scope, key, row });
      }
    }
    return structuredClone({
      clientId: this.#clientId,
      lastSeq: this.#lastSeq,
      outbox,
      cursors,
      rows,
      scopeMeta,
      settled: [...this.#settled.values()],
    });
  }

  async readRows(table: string, scope: string, where: Readonly<Record<string, unknown>> = {}): Promise<Row[]> {
    const keyField = this.#tables[table]?.key ?? '';
    const rows = [...(this.#rows.get(table)?.get(scope)?.values() ?? [])].filter((row) =>
      Object.entries(where).every(([field, value]) => row[field] === value),
    );
    return structuredClone(rows.sort((a, b) => compareKeys(a[keyField] as string, b[keyField] as string)));
  }

  /** The reference execution (filter, sort, slice) over the scope's rows: this adapter keeps no indexes. */
  async queryRows(table: string, scope: string, query?: TableQuery): Promise<Row[]> {
    const plan = planQuery(this.#tables, table, query);
    return structuredClone(runPlanOn(plan, this.#rows.get(table)?.get(scope)?.values() ?? []));
  }

  async getRows(table: string, scope: string, keys: ReadonlyArray<string>): Promise<Array<Row | undefined>> {
    const rows = this.#rows.get(table)?.get(scope);
    return structuredClone(keys.map((key) => rows?.get(key)));
  }

  async readEvents(scope: string): Promise<WireEvent[]> {
    await this.#tail;
    const events = [...this.#events.values()].filter((event) => event.scope === scope);
    return structuredClone(events.sort((a, b) => a.seq - b.seq));
  }

  commit(change: StorageCommit): Promise<void> {
    // Cloned before anything is written: a value that cannot be stored fails the whole commit.
    let copy: StorageCommit;
    try {
      copy = structuredClone(change);
    } catch (error) {
      return Promise.reject(error);
    }
    const done = this.#tail.then(() => this.#apply(copy));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  async persist(): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {
    await this.#tail;
  }

  #apply(change: StorageCommit): void {
    for (const scope of change.resetScopes ?? []) {
      for (const key of this.#events.keys()) if (this.#events.get(key)?.scope === scope) this.#events.delete(key);
      for (const byScope of this.#rows.values()) byScope.delete(scope);
      this.#cursors.delete(scope);
      this.#scopeMeta.delete(scope);
    }
    for (const [scope, meta] of Object.entries(change.scopeMeta ?? {})) this.#scopeMeta.set(scope, meta);
    for (const event of change.events ?? []) this.#events.set(`${event.scope}\u0000${event.seq}`, event);
    for (const { table, scope, key, row } of change.rows ?? []) {
      const byScope = this.#rows.get(table) ?? this.#rows.set(table, new Map()).get(table);
      const rows = byScope?.get(scope) ?? byScope?.set(scope, new Map()).get(scope);
      if (row) rows?.set(key, row);
      else rows?.delete(key);
    }
    for (const [scope, seq] of Object.entries(change.cursors ?? {})) this.#cursors.set(scope, seq);
    if (change.clearOutbox) this.#outbox.clear();
    for (const seq of change.trim ?? []) this.#outbox.delete(seq);
    for (const record of change.outbox ?? []) this.#outbox.set(record.seq, record);
    if (change.lastSeq !== undefined) this.#lastSeq = change.lastSeq;
    for (const record of change.settled ?? []) this.#settled.set(record.id, record);
    for (const id of change.dismiss ?? []) this.#settled.delete(id);
    if (change.settled?.some((record) => record.status === 'confirmed' && record.seq % 100 === 0))
      this.#pruneConfirmed();
  }

  #pruneConfirmed(): void {
    const confirmed = [...this.#settled.values()].filter((record) => record.status === 'confirmed');
    const newest = Math.max(0, ...confirmed.map((record) => record.seq));
    for (const record of confirmed) {
      if (record.seq < newest - CONFIRMED_RECORDS_KEPT) this.#settled.delete(record.id);
    }
  }
}
