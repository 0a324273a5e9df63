import { get, promisifyRequest, set, type UseStore } from 'idb-keyval';

/**
 * Which client id each database name had last, kept with idb-keyval in a small database of
 * its own (`weft-clients`), so it survives when the browser evicts or deletes only the
 * engine's database (TEST-PLAN S03). When the whole origin is wiped it goes too: the device
 * then simply starts as a new client, and nothing can tell that work was lost.
 */
const MARKER_DB = 'weft-clients';
const MARKER_STORE = 'ids';

/**
 * Records `clientId` as the client of `dbName`; resolves to whether another client had it
 * before, i.e. its earlier database vanished and its unsynced work with it. Without a usable
 * IndexedDB for the marker, it cannot tell and says no.
 *
 * @example
 * if (await clientIdReplaced('weft:kanban', engine.clientId)) warn('unsynced work may be lost');
 */
export async function clientIdReplaced(
  dbName: string,
  clientId: string,
  indexedDB: IDBFactory | undefined = globalThis.indexedDB,
): Promise<boolean> {
  if (!indexedDB) return false;
  let db: IDBDatabase | null = null;
  try {
    const request = indexedDB.open(MARKER_DB);
    request.onupgradeneeded = () => request.result.createObjectStore(MARKER_STORE);
    const opened = await promisifyRequest(request);
    db = opened;
    const store: UseStore = (mode, callback) =>
      Promise.resolve(callback(opened.transaction(MARKER_STORE, mode).objectStore(MARKER_STORE))) as never;
    const before = await get<string>(dbName, store);
    if (before === clientId) return false;
    await set(dbName, clientId, store);
    return before !== undefined;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}
