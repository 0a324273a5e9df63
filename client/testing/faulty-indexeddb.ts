import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';

/** The DOMException names browsers raise when IndexedDB itself fails (TEST-PLAN S01, S02, S04). */
export type IdbFaultName = 'QuotaExceededError' | 'AbortError' | 'InvalidStateError' | 'UnknownError';

/**
 * One planned failure. `on: 'transaction'` counts readwrite transactions opened from now on;
 * `on: 'write'` counts write requests (put, add, delete, clear). An `InvalidStateError` on a
 * transaction is thrown by `db.transaction()` itself, as a closing connection does; every
 * other fault fails the transaction's first write (or the Nth write) with a DOMException of
 * that name, which aborts the transaction with it, as a full disk or a lost connection does.
 */
export interface IdbFault {
  readonly on: 'transaction' | 'write';
  readonly name: IdbFaultName;
  readonly message?: string;
  /** Which one fails first: 1 is the next one (the default). */
  readonly nth?: number;
  /** How many in a row fail from there (default 1; `Infinity` until `heal()`). */
  readonly times?: number;
}

export interface FaultyIndexedDB {
  /** Pass these to `dexieStorage` (or idb-keyval) as the platform's IndexedDB. */
  readonly indexedDB: IDBFactory;
  readonly IDBKeyRange: typeof IDBKeyRange;
  /** Plans a failure; faults planned together count independently. */
  fail(fault: IdbFault): void;
  /** Makes every `indexedDB.open` throw (as Firefox's private mode refuses), or stop doing so. */
  refuseOpen(refuse: boolean): void;
  /** Drops every planned fault. */
  heal(): void;
  /** How many faults struck, and how many opens, readwrite transactions and writes were seen. */
  readonly counts: { struck: number; opens: number; transactions: number; writes: number };
  /** Deletes a database, as browser eviction does while the app is closed. */
  deleteDatabase(name: string): Promise<void>;
}

/**
 * fake-indexeddb with faults injected on purpose, so the engine's handling of a full disk, an
 * aborted transaction or a closing connection can be tested in Node against real Dexie.
 *
 * @example
 * const idb = faultyIndexedDB();
 * const storage = dexieStorage({ name: 'db', tables, indexedDB: idb.indexedDB, IDBKeyRange: idb.IDBKeyRange });
 * idb.fail({ on: 'transaction', name: 'QuotaExceededError', times: Infinity });
 */
export function faultyIndexedDB(real: IDBFactory = new IDBFactory()): FaultyIndexedDB {
  const planned: Array<{ fault: IdbFault; seen: number; left: number }> = [];
  const counts = { struck: 0, opens: 0, transactions: 0, writes: 0 };
  let refuse = false;

  /** The fault that strikes the event counted now, if any. */
  const strike = (on: IdbFault['on']): IdbFault | null => {
    let hit: IdbFault | null = null;
    for (const plan of planned) {
      if (plan.fault.on !== on || plan.left <= 0) continue;
      plan.seen++;
      if (plan.seen >= (plan.fault.nth ?? 1) && hit === null) {
        plan.left--;
        hit = plan.fault;
      }
    }
    if (hit) counts.struck++;
    return hit;
  };

  /**
   * Makes `request` fail with the fault when the transaction gets to it, as Firefox reports a
   * full disk: the request's error event, then the transaction aborts with that error. The
   * requests queued with it stay valid until then (an abort right away would make them throw).
   */
  const failRequest = (tx: IDBTransaction, request: IDBRequest, fault: IdbFault): void => {
    const queued = (tx as unknown as { _requests?: Array<{ request: IDBRequest; operation: () => unknown }> })
      ._requests;
    const entry = queued?.find((candidate) => candidate.request === request);
    if (!entry) throw new Error('faultyIndexedDB needs fake-indexeddb underneath');
    entry.operation = () => {
      throw domException(fault);
    };
  };

  const watchWrites = (tx: IDBTransaction, planned: IdbFault | null): void => {
    const objectStore = tx.objectStore.bind(tx);
    tx.objectStore = (name: string) => {
      const store = objectStore(name);
      for (const method of ['put', 'add', 'delete', 'clear'] as const) {
        const original = store[method] as (...args: unknown[]) => IDBRequest;
        if ((original as { faulty?: true }).faulty) continue;
        const wrapped = (...args: unknown[]) => {
          const request = original.apply(store, args);
          counts.writes++;
          const fault = planned ?? strike('write');
          planned = null;
          if (fault) failRequest(tx, request, fault);
          return request;
        };
        Object.assign(store, { [method]: Object.assign(wrapped, { faulty: true as const }) });
      }
      return store;
    };
  };

  const patchDatabase = (db: IDBDatabase): void => {
    const transaction = db.transaction.bind(db);
    db.transaction = ((names: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) => {
      if (mode !== 'readwrite') return transaction(names, mode, options);
      counts.transactions++;
      const fault = strike('transaction');
      if (fault?.name === 'InvalidStateError') throw domException(fault);
      const tx = transaction(names, mode, options);
      watchWrites(tx, fault);
      return tx;
    }) as IDBDatabase['transaction'];
  };

  const indexedDB: IDBFactory = {
    open(name: string, version?: number) {
      if (refuse)
        throw new DOMException(
          'A mutation operation was attempted on a database that did not allow mutations.',
          'InvalidStateError',
        );
      counts.opens++;
      const request = real.open(name, version);
      // Listeners run before `onsuccess`, where Dexie reads `db.transaction` once.
      request.addEventListener('success', () => patchDatabase(request.result));
      return request;
    },
    deleteDatabase: (name: string) => real.deleteDatabase(name),
    databases: () => real.databases(),
    cmp: (a: unknown, b: unknown) => real.cmp(a, b),
  };

  return {
    indexedDB,
    IDBKeyRange,
    counts,
    fail(fault) {
      planned.push({ fault, seen: 0, left: fault.times ?? 1 });
    },
    refuseOpen(value) {
      refuse = value;
    },
    heal() {
      planned.splice(0);
    },
    deleteDatabase(name) {
      return new Promise((resolve, reject) => {
        const request = real.deleteDatabase(name);
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error);
        request.onblocked = () => reject(new Error(`deleting ${name} is blocked by an open connection`));
      });
    },
  };
}

function domException(fault: IdbFault): DOMException {
  return new DOMException(fault.message ?? DEFAULT_MESSAGES[fault.name], fault.name);
}

const DEFAULT_MESSAGES: Record<IdbFaultName, string> = {
  QuotaExceededError: 'The quota has been exceeded.',
  AbortError: 'The transaction was aborted.',
  InvalidStateError: "Failed to execute 'transaction' on 'IDBDatabase': The database connection is closing.",
  UnknownError: 'Connection to Indexed Database server lost. Refresh the page to try again',
};
