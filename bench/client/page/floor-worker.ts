/**
 * The floors measured inside a worker, exposed with Comlink: an echo (the Comlink round trip),
 * one raw IndexedDB readwrite transaction holding one put, raw IndexedDB and Dexie bulk writes.
 * Times are taken here, so the IndexedDB floors exclude the hop to the tab. Every transaction
 * is `strict`, as weft's storage writes its own (client/storage/dexie-storage.ts).
 */
import * as Comlink from 'comlink';
import Dexie from 'dexie';

export interface FloorWorkerApi {
  echo<T>(value: T): T;
  /** `runs` transactions one after the other, each one put; the duration of each, in ms. */
  idbOneTransaction(runs: number): Promise<number[]>;
  /** `runs` times: `count` records in one transaction; the duration of each, in ms. */
  idbBulk(count: number, runs: number): Promise<number[]>;
  /** `runs` times: Dexie `bulkAdd` of `count` records; the duration of each, in ms. */
  dexieBulkAdd(count: number, runs: number): Promise<number[]>;
}

/** An outbox-like record, the size of a weft `addCard` command. */
const record = (seq: number) => ({
  seq,
  id: crypto.randomUUID(),
  name: 'addCard',
  args: { boardId: 'b1', cardId: `k${seq}`, columnId: 'todo', title: `card ${seq}` },
  at: Date.now(),
});

let opened: Promise<IDBDatabase> | null = null;
function rawDb(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open('bench-floor-raw', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('outbox', { keyPath: 'seq' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

function commit(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

let nextSeq = 1;

const api: FloorWorkerApi = {
  echo: (value) => value,
  async idbOneTransaction(runs) {
    const db = await rawDb();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const tx = db.transaction('outbox', 'readwrite', { durability: 'strict' });
      tx.objectStore('outbox').put(record(nextSeq++));
      await commit(tx);
      times.push(performance.now() - started);
    }
    return times;
  },
  async idbBulk(count, runs) {
    const db = await rawDb();
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const rows = Array.from({ length: count }, () => record(nextSeq++));
      const started = performance.now();
      const tx = db.transaction('outbox', 'readwrite', { durability: 'strict' });
      const store = tx.objectStore('outbox');
      for (const row of rows) store.put(row);
      await commit(tx);
      times.push(performance.now() - started);
    }
    return times;
  },
  async dexieBulkAdd(count, runs) {
    const db = new Dexie('bench-floor-dexie', { chromeTransactionDurability: 'strict' });
    db.version(1).stores({ outbox: 'seq' });
    await db.open();
    await db.table('outbox').clear(); // a later run's worker numbers its records from 1 again
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const rows = Array.from({ length: count }, () => record(nextSeq++));
      const started = performance.now();
      await db.table('outbox').bulkAdd(rows);
      times.push(performance.now() - started);
    }
    db.close();
    return times;
  },
};

Comlink.expose(api);
