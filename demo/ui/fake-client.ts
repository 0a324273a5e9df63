import type { ClientStatus, RejectedRecord } from '../../client/index.ts';
import type { Row } from '../../shared/index.ts';
import type { DemoClient } from '../demo-client.ts';

/**
 * A stand-in for weft's client in the UI's component tests: tables of rows the test sets,
 * every `execute` recorded, status and rejections pushed by hand. Queries filter on `where`
 * and sort on `orderBy` like the real one.
 */
export interface FakeClient extends DemoClient {
  readonly executed: Array<{ name: string; args: Record<string, unknown> }>;
  readonly dismissed: string[];
  readonly onlineCalls: boolean[];
  setRows(table: string, rows: Row[]): void;
  setStatus(patch: Partial<ClientStatus>): void;
  reject(rejection: RejectedRecord): void;
  /** The next execute is refused locally with this code and message. */
  refuseNext(code: string, message: string): void;
}

interface Sub {
  readonly query: { table: string; where?: Record<string, unknown>; orderBy?: unknown };
  readonly callback: (rows: Row[]) => void;
}

export function fakeClient(): FakeClient {
  const tables = new Map<string, Row[]>();
  const subs = new Set<Sub>();
  const statusListeners = new Set<(status: ClientStatus) => void>();
  const rejectedListeners = new Set<(rejection: RejectedRecord) => void>();
  let status: ClientStatus = {
    online: true,
    syncing: false,
    pending: 0,
    lastError: null,
    persisted: false,
    upgradeRequired: false,
    storage: 'ok',
    storageLost: false,
    stale: [],
    quarantined: [],
    leader: true,
  };
  let refusal: { code: string; message: string } | null = null;
  let ids = 0;

  const run = (query: Sub['query']): Row[] => {
    let rows = (tables.get(query.table) ?? []).filter((row) =>
      Object.entries(query.where ?? {}).every(([key, value]) => row[key] === value),
    );
    if (typeof query.orderBy === 'string') {
      const field = query.orderBy;
      rows = [...rows].sort((a, b) => String(a[field]).localeCompare(String(b[field])));
    }
    return rows;
  };
  const settled = (error?: Error) => {
    const promise = error ? Promise.reject(error) : Promise.resolve();
    promise.catch(() => {});
    return promise;
  };

  const client = {
    executed: [] as FakeClient['executed'],
    dismissed: [] as string[],
    onlineCalls: [] as boolean[],
    execute(name: string, args: Record<string, unknown>) {
      client.executed.push({ name, args });
      const id = `cmd-${++ids}`;
      const error = refusal ? Object.assign(new Error(refusal.message), { code: refusal.code }) : undefined;
      refusal = null;
      return { id, applied: settled(error), durable: settled(error), confirmed: settled(error) };
    },
    query: async (query: Sub['query']) => run(query),
    subscribe(query: Sub['query'], callback: (rows: Row[]) => void) {
      const sub = { query, callback };
      subs.add(sub);
      callback(run(query));
      return () => subs.delete(sub);
    },
    status: () => status,
    onStatus(listener: (status: ClientStatus) => void) {
      statusListeners.add(listener);
      listener(status);
      return () => statusListeners.delete(listener);
    },
    onRejected(listener: (rejection: RejectedRecord) => void) {
      rejectedListeners.add(listener);
      return () => rejectedListeners.delete(listener);
    },
    rejections: async () => [],
    async dismiss(ids: ReadonlyArray<string>) {
      client.dismissed.push(...ids);
    },
    async setOnline(online: boolean) {
      client.onlineCalls.push(online);
    },
    async close() {},
    setRows(table: string, rows: Row[]) {
      tables.set(table, rows);
      for (const sub of subs) if (sub.query.table === table) sub.callback(run(sub.query));
    },
    setStatus(patch: Partial<ClientStatus>) {
      status = { ...status, ...patch };
      for (const listener of statusListeners) listener(status);
    },
    reject(rejection: RejectedRecord) {
      for (const listener of rejectedListeners) listener(rejection);
    },
    refuseNext(code: string, message: string) {
      refusal = { code, message };
    },
  };
  return client as unknown as FakeClient;
}
