import { cmp, Dexie, type Table } from 'dexie';
import {
  canonicalJson,
  compareKeys,
  matches,
  planFind,
  planQuery,
  type QueryPlan,
  type Row,
  type TableDefs,
  type TableQuery,
  type WireEvent,
} from '../../shared/index.ts';
import {
  type ClientStorage,
  CONFIRMED_RECORDS_KEPT,
  type LoadRequest,
  type OutboxRecord,
  type RowWrite,
  type ScopeMeta,
  type SettledRecord,
  type StorageCommit,
  type StoredState,
} from './client-storage.ts';
import { type IndexKey, indexKeys, planRange } from './index-keys.ts';
import { isConnectionLost } from './storage-error.ts';

export interface DexieStorageOptions {
  /** The IndexedDB database name: one client per name and browser profile. */
  readonly name: string;
  /** The app's projection tables (`app.tables`), for their declared indexes. */
  readonly tables: TableDefs;
  readonly indexedDB?: IDBFactory;
  readonly IDBKeyRange?: typeof IDBKeyRange;
  /** Defaults to `navigator.storage.persist()` where the platform has it. */
  readonly persist?: () => Promise<boolean>;
}

/**
 * IndexedDB storage through Dexie. Every transaction runs with strict durability, so a
 * resolved `commit` survives a power cut. The client id and seq counter are rows of `meta`
 * in the same database (not idb-keyval): they must vanish together with the outbox, or a new
 * database would reuse seqs under an old client id.
 *
 * Confirmed events are stored in chunks, one record per scope and commit (`eventChunks`, keyed
 * by the chunk's first `[scope+seq]`): IndexedDB costs about as much per record as per
 * transaction, and a catch-up page of 1,000 events is then one put, not 1,000. Databases of
 * version 1 keep their events one per record in `events`; `readEvents` reads both, so opening
 * such a database moves nothing.
 *
 * Projection rows share one `rows` store keyed by `[table+scope+key]`. Each row carries `ix`,
 * one array key per ordered index of its table (`index-keys.ts`), under a multi-entry index:
 * IndexedDB keeps every declared (compound) index in order natively, and a query is one key
 * range read forwards or backwards with a limit, touching only the rows it returns.
 *
 * @example
 * const storage = dexieStorage({ name: 'weft:kanban', tables: kanban.tables });
 */
export function dexieStorage(options: DexieStorageOptions): ClientStorage {
  return new DexieStorage(options);
}

/** `dexieStorage`, opened: rejects when IndexedDB is missing or refuses to open (private modes). */
export async function openDexieStorage(options: DexieStorageOptions): Promise<ClientStorage> {
  const storage = new DexieStorage(options);
  await storage.open();
  return storage;
}

interface StoredRow {
  readonly table: string;
  readonly scope: string;
  readonly key: string;
  readonly row: Row;
  readonly ix: IndexKey[];
}

/** Consecutive confirmed events of one scope, written by one commit; `seq` is the first one's. */
interface EventChunk {
  readonly scope: string;
  readonly seq: number;
  readonly events: WireEvent[];
}

interface MetaRow {
  readonly key: string;
  readonly value: unknown;
}

class WeftDexie extends Dexie {
  /** Version 1's events, one per record: read, never written. */
  events!: Table<WireEvent, [string, number]>;
  eventChunks!: Table<EventChunk, [string, number]>;
  outbox!: Table<OutboxRecord, number>;
  rows!: Table<StoredRow, [string, string, string]>;
  cursors!: Table<{ scope: string; seq: number }, string>;
  settled!: Table<SettledRecord, string>;
  meta!: Table<MetaRow, string>;
}

class DexieStorage implements ClientStorage {
  readonly #db: WeftDexie;
  readonly #tables: TableDefs;
  readonly #persist: () => Promise<boolean>;
  #closed = false;

  constructor(options: DexieStorageOptions) {
    this.#tables = options.tables;
    this.#persist = options.persist ?? persistWithNavigator;
    this.#db = new WeftDexie(options.name, {
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
      chromeTransactionDurability: 'strict',
      cache: 'disabled',
    });
    this.#db.version(1).stores({
      events: '[scope+seq]',
      outbox: 'seq',
      rows: '[table+scope+key], scope, *ix',
      cursors: 'scope',
      settled: 'id, [status+seq]',
      meta: 'key',
    });
    // Version 2 adds the chunked event store; version 1's events stay where they are (see above).
    this.#db.version(2).stores({ eventChunks: '[scope+seq]' });
  }

  async load({ scopes, newClientId, lazy }: LoadRequest): Promise<StoredState> {
    const db = this.#db;
    return this.#reconnecting(() =>
      db.transaction('rw', [db.meta, db.outbox, db.cursors, db.rows, db.settled], async () => {
        const storedId = (await db.meta.get('clientId'))?.value;
        const clientId = typeof storedId === 'string' ? storedId : newClientId();
        if (clientId !== storedId) await db.meta.put({ key: 'clientId', value: clientId });
        const lastSeq = Number((await db.meta.get('lastSeq'))?.value ?? 0);
        const outbox = await db.outbox.orderBy('seq').toArray();
        const wanted = [...new Set([...scopes, ...outbox.map((command) => command.scope)])];
        await this.#reindexIfChanged();
        const cursors: Record<string, number> = {};
        for (const { scope, seq } of await db.cursors.bulkGet(wanted).then(compact)) cursors[scope] = seq;
        const withRows = lazy ? [] : wanted;
        const rows = withRows.length > 0 ? await db.rows.where('scope').anyOf(withRows).toArray() : [];
        const scopeMeta: Record<string, ScopeMeta> = {};
        const metas = await db.meta.bulkGet(wanted.map(scopeMetaKey));
        wanted.forEach((scope, i) => {
          const meta = metas[i]?.value;
          if (meta) scopeMeta[scope] = meta as ScopeMeta;
        });
        const settled = await db.settled.toArray();
        return {
          clientId,
          lastSeq,
          outbox,
          cursors,
          rows: rows.map(({ table, scope, key, row }) => ({ table, scope, key, row })),
          scopeMeta,
          settled,
        };
      }),
    );
  }

  async readRows(table: string, scope: string, where: Readonly<Record<string, unknown>> = {}): Promise<Row[]> {
    const { plan, residual, keyOrder } = planFind(this.#tables, table, where);
    const rows = (await this.#scan(plan, scope)).filter((row) => matches(row, where, residual));
    const keyField = plan.key;
    return keyOrder ? rows : rows.sort((a, b) => compareKeys(a[keyField] as string, b[keyField] as string));
  }

  async queryRows(table: string, scope: string, query?: TableQuery): Promise<Row[]> {
    return this.#scan(planQuery(this.#tables, table, query), scope);
  }

  async getRows(table: string, scope: string, keys: ReadonlyArray<string>): Promise<Array<Row | undefined>> {
    const found = await this.#reconnecting(() => this.#db.rows.bulkGet(keys.map((key) => [table, scope, key])));
    return found.map((stored) => stored?.row);
  }

  /** One key range of the `ix` index, in the plan's direction, up to its limit. */
  async #scan(plan: QueryPlan, scope: string): Promise<Row[]> {
    const range = planRange(plan, scope, cmp);
    if (range === null || plan.limit === 0) return [];
    let found = this.#db.rows.where('ix').between(range.lower, range.upper, !range.lowerOpen, !range.upperOpen);
    if (plan.direction === 'desc') found = found.reverse();
    if (plan.limit !== undefined) found = found.limit(plan.limit);
    return (await this.#reconnecting(() => found.toArray())).map((stored) => stored.row);
  }

  async readEvents(scope: string): Promise<WireEvent[]> {
    const db = this.#db;
    const range = [
      [scope, Dexie.minKey],
      [scope, Dexie.maxKey],
    ] as const;
    const [single, chunks] = await db.transaction('r', [db.events, db.eventChunks], () =>
      Promise.all([
        db.events
          .where('[scope+seq]')
          .between(...range)
          .toArray(),
        db.eventChunks
          .where('[scope+seq]')
          .between(...range)
          .toArray(),
      ]),
    );
    // By seq, the later chunk winning: as a put by `[scope+seq]` of the same event would.
    const bySeq = new Map<number, WireEvent>();
    for (const event of single) bySeq.set(event.seq, event);
    for (const chunk of chunks) for (const event of chunk.events) bySeq.set(event.seq, event);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  async commit(change: StorageCommit): Promise<void> {
    const inDexie = () => this.#commitInDexie(change);
    // The retry after a lost connection goes through Dexie, which reopens by itself as well.
    if (!change.resetScopes?.length && pruneMark(change.settled) === 0)
      await this.#reconnecting(() => this.#commitNative(change), inDexie);
    else await this.#reconnecting(inDexie);
  }

  async #commitInDexie(change: StorageCommit): Promise<void> {
    const db = this.#db;
    const stores = [db.events, db.eventChunks, db.rows, db.cursors, db.outbox, db.meta, db.settled];
    await db.transaction('rw', stores, async () => {
      for (const scope of change.resetScopes ?? []) {
        await db.events.where('[scope+seq]').between([scope, Dexie.minKey], [scope, Dexie.maxKey]).delete();
        await db.eventChunks.where('[scope+seq]').between([scope, Dexie.minKey], [scope, Dexie.maxKey]).delete();
        await db.rows.where('scope').equals(scope).delete();
        await db.cursors.delete(scope);
        await db.meta.delete(scopeMetaKey(scope));
      }
      const metas = Object.entries(change.scopeMeta ?? {}).map(([scope, value]) => ({
        key: scopeMetaKey(scope),
        value,
      }));
      if (metas.length) await db.meta.bulkPut(metas);
      if (change.events?.length) await db.eventChunks.bulkPut(eventChunks(change.events));
      if (change.rows?.length) await this.#writeRows(change.rows);
      const cursors = Object.entries(change.cursors ?? {}).map(([scope, seq]) => ({ scope, seq }));
      if (cursors.length) await db.cursors.bulkPut(cursors);
      if (change.clearOutbox) await db.outbox.clear();
      if (change.trim?.length) await db.outbox.bulkDelete([...change.trim]);
      if (change.outbox?.length) await db.outbox.bulkPut([...change.outbox]);
      if (change.lastSeq !== undefined) await db.meta.put({ key: 'lastSeq', value: change.lastSeq });
      if (change.settled?.length) await this.#writeSettled(change.settled);
      if (change.dismiss?.length) await db.settled.bulkDelete([...change.dismiss]);
    });
  }

  /**
   * `commit` on the native transaction (Dexie's escape hatch), for every commit but the rare ones
   * that delete by range (a scope reset, a settled-record prune). The hot paths are an outbox
   * append and a confirmed batch: a Dexie transaction adds its promise zone and one wrapped
   * request per bulk call, about as much as the transaction itself costs when it holds one
   * command. Same stores, same keys, same order of parts, same strict durability: the data
   * written is exactly what the Dexie path writes, so either path reads it back.
   */
  async #commitNative(change: StorageCommit): Promise<void> {
    const stores = touchedStores(change);
    if (stores.length === 0) return;
    const tx = (await this.#backend()).transaction(stores, 'readwrite', { durability: 'strict' });
    const done = completion(tx);
    try {
      const store = (name: StoreName) => tx.objectStore(name);
      for (const [scope, value] of Object.entries(change.scopeMeta ?? {})) {
        store('meta').put({ key: scopeMetaKey(scope), value });
      }
      for (const chunk of eventChunks(change.events ?? [])) store('eventChunks').put(chunk);
      if (change.rows?.length) {
        const rows = store('rows');
        for (const { table, scope, key, row } of change.rows) {
          if (row) rows.put({ table, scope, key, row, ix: this.#indexEntries(table, scope, row) });
          else rows.delete([table, scope, key]);
        }
      }
      for (const [scope, seq] of Object.entries(change.cursors ?? {})) store('cursors').put({ scope, seq });
      if (change.clearOutbox) store('outbox').clear();
      for (const seq of change.trim ?? []) store('outbox').delete(seq);
      for (const record of change.outbox ?? []) store('outbox').put(record);
      if (change.lastSeq !== undefined) store('meta').put({ key: 'lastSeq', value: change.lastSeq });
      for (const record of change.settled ?? []) store('settled').put(record);
      for (const id of change.dismiss ?? []) store('settled').delete(id);
    } catch (error) {
      // A put that throws (a value IndexedDB cannot clone) leaves the transaction open: abort it,
      // so nothing of this commit is written.
      tx.abort();
      await done.catch(() => undefined);
      throw error;
    }
    await done;
  }

  /** The open native connection; opened again if the browser closed it (see `#reconnecting`). */
  async #backend(): Promise<IDBDatabase> {
    if (this.#closed) throw new Dexie.DatabaseClosedError('the storage is closed');
    if (!this.#db.isOpen()) await this.#db.open();
    return this.#db.backendDB();
  }

  async persist(): Promise<boolean> {
    return this.#persist();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#db.close();
  }

  /** Opens the database now, so a platform without a usable IndexedDB fails here, not in `load`. */
  async open(): Promise<void> {
    await this.#db.open();
  }

  /**
   * Runs one transaction; when the browser dropped the connection under it ("The database
   * connection is closing", WebKit's "Connection to Indexed Database server lost"), drops the
   * handle, reopens and runs it once more. A second failure is thrown: never a silent drop.
   * Running a transaction twice is safe: `load` and `commit` put and delete by key. `retry`
   * is the second try, when it differs from the first.
   */
  async #reconnecting<T>(run: () => Promise<T>, retry: () => Promise<T> = run): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (this.#closed || !isConnectionLost(error)) throw error;
      this.#db.close({ disableAutoOpen: false });
      await this.#db.open();
      return retry();
    }
  }

  async #writeRows(writes: ReadonlyArray<RowWrite>): Promise<void> {
    const puts: StoredRow[] = [];
    const deletes: [string, string, string][] = [];
    for (const { table, scope, key, row } of writes) {
      if (row) puts.push({ table, scope, key, row, ix: this.#indexEntries(table, scope, row) });
      else deletes.push([table, scope, key]);
    }
    if (deletes.length) await this.#db.rows.bulkDelete(deletes);
    if (puts.length) await this.#db.rows.bulkPut(puts);
  }

  async #writeSettled(records: ReadonlyArray<SettledRecord>): Promise<void> {
    await this.#db.settled.bulkPut([...records]);
    const mark = pruneMark(records);
    if (mark > 0) {
      await this.#db.settled
        .where('[status+seq]')
        .between(['confirmed', Dexie.minKey], ['confirmed', mark - CONFIRMED_RECORDS_KEPT])
        .delete();
    }
  }

  /** Rewrites every row's index entries when the app declared other indexes (or entries changed form) since last time. */
  async #reindexIfChanged(): Promise<void> {
    const declared = canonicalJson([
      INDEX_FORMAT,
      Object.entries(this.#tables).map(([name, def]) => [name, def.key, def.indexes]),
    ]);
    const stored = (await this.#db.meta.get('indexes'))?.value;
    if (stored === declared) return;
    await this.#db.rows.toCollection().modify((stored: { -readonly [K in keyof StoredRow]: StoredRow[K] }) => {
      stored.ix = this.#indexEntries(stored.table, stored.scope, stored.row);
    });
    await this.#db.meta.put({ key: 'indexes', value: declared });
  }

  #indexEntries(table: string, scope: string, row: Row): IndexKey[] {
    return indexKeys(this.#tables, table, scope, row);
  }
}

/** The form of the `ix` entries; a change rewrites them on open (version 1 kept one string per single-field index). */
const INDEX_FORMAT = 'ordered-2';

/** Scope meta lives in `meta`, beside the client id: no schema change was needed for it. */
function scopeMetaKey(scope: string): string {
  return `scope:${scope}`;
}

type StoreName = 'eventChunks' | 'rows' | 'cursors' | 'outbox' | 'meta' | 'settled';

/** A commit's events as chunks: one per scope, in the order given (the port's callers give seq order). */
function eventChunks(events: ReadonlyArray<WireEvent>): EventChunk[] {
  const byScope = new Map<string, WireEvent[]>();
  for (const event of events) {
    const list = byScope.get(event.scope);
    if (list) list.push(event);
    else byScope.set(event.scope, [event]);
  }
  return [...byScope].map(([scope, list]) => ({
    scope,
    seq: list.reduce((first, e) => Math.min(first, e.seq), Number.POSITIVE_INFINITY),
    events: list,
  }));
}

/** The object stores a commit writes: the native transaction locks only those. */
function touchedStores(change: StorageCommit): StoreName[] {
  const stores: StoreName[] = [];
  if (change.events?.length) stores.push('eventChunks');
  if (change.rows?.length) stores.push('rows');
  if (Object.keys(change.cursors ?? {}).length) stores.push('cursors');
  if (change.clearOutbox || change.trim?.length || change.outbox?.length) stores.push('outbox');
  if (change.lastSeq !== undefined || Object.keys(change.scopeMeta ?? {}).length) stores.push('meta');
  if (change.settled?.length || change.dismiss?.length) stores.push('settled');
  return stores;
}

/**
 * The seq up to which to prune confirmed records, or 0: once per hundred confirmations (seqs
 * are consecutive), not on every commit.
 */
function pruneMark(records: ReadonlyArray<SettledRecord> = []): number {
  const mark = records.find((record) => record.status === 'confirmed' && record.seq % 100 === 0)?.seq ?? 0;
  return mark > CONFIRMED_RECORDS_KEPT ? mark : 0;
}

/** Resolves when the transaction commits; rejects with why it aborted. */
function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed: DOMException | null = null;
    tx.onerror = (event) => {
      failed ??= (event.target as IDBRequest | null)?.error ?? null;
    };
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(failed ?? tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
  });
}

function compact<T>(values: ReadonlyArray<T | undefined>): T[] {
  return values.filter((value): value is T => value !== undefined);
}

async function persistWithNavigator(): Promise<boolean> {
  const storage = (globalThis as { navigator?: { storage?: Partial<StorageManager> } }).navigator?.storage;
  if (!storage?.persist) return false;
  return (await storage.persisted?.()) || storage.persist();
}
