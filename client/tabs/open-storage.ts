import type { TableDefs } from '../../shared/index.ts';
import type { EngineOptions } from '../engine/index.ts';
import type { ClientStorage } from '../storage/index.ts';
import { clientIdReplaced, memoryStorage, openDexieStorage } from '../storage/index.ts';

export interface OpenStorageOptions {
  /** The IndexedDB database name: one client per name and browser profile. */
  readonly dbName: string;
  readonly tables: TableDefs;
  /** Default: the platform's `indexedDB` (missing in some private modes). */
  readonly indexedDB?: IDBFactory;
  readonly IDBKeyRange?: typeof IDBKeyRange;
}

/** The storage part of `EngineOptions`, as a leader opens it. */
export type OpenedStorage = Pick<EngineOptions<never>, 'memoryFallback' | 'storageLost'> & {
  readonly storage: ClientStorage;
};

/**
 * Opens a client's storage (TEST-PLAN S03, S04): IndexedDB through Dexie, or, when IndexedDB is
 * missing or refuses to open (Firefox's private mode), memory, flagged as `memoryFallback` so
 * the engine shows `storage: 'memory'` and never calls a command durable before the server
 * has it. With IndexedDB, `storageLost` compares the client id with a marker kept outside the
 * database, to warn when the database vanished between sessions.
 *
 * @example
 * const engine = await Engine.open({ app, ...(await openClientStorage({ dbName, tables: app.tables })), transport, scopes });
 */
export async function openClientStorage(options: OpenStorageOptions): Promise<OpenedStorage> {
  const { dbName, tables } = options;
  const indexedDB = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  try {
    if (!indexedDB) throw new Error('this platform has no indexedDB');
    const storage = await openDexieStorage({
      name: dbName,
      tables,
      indexedDB,
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    });
    return { storage, storageLost: (clientId) => clientIdReplaced(dbName, clientId, indexedDB) };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
    return { storage: memoryStorage({ tables }), memoryFallback: reason };
  }
}
