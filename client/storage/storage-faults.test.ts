/**
 * Honest storage failure in Node (TEST-PLAN S01–S04, G16): the real engine on real Dexie over
 * fake-indexeddb, with faults injected where the browser raises them, syncing with the fake
 * server through the memory transport.
 */

import { Dexie } from 'dexie';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, Execution } from '../base/index.ts';
import { Engine } from '../engine/index.ts';
import type { SyncStatus } from '../sync/index.ts';
import { MemoryTransport } from '../sync/index.ts';
import { type OpenedStorage, openClientStorage } from '../tabs/index.ts';
import { type FaultyIndexedDB, faultyIndexedDB } from '../testing/faulty-indexeddb.ts';
import { FAST_SYNC, fakeServer, until } from '../testing/harness.ts';
import { type TodoApp, todo } from '../testing/todo-app.ts';
import type { RejectedRecord } from './client-storage.ts';
import { dexieStorage } from './dexie-storage.ts';

const engines: Engine<TodoApp>[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

const add = (engine: Engine<TodoApp>, itemId: string): Execution =>
  engine.execute('add', { listId: 'a', itemId, text: itemId });

/** How a promise ended, without throwing: the code it rejected with, or 'resolved'. */
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code ?? String(error),
  );

/** Real timers, but every delay asked for is recorded, and timers still waiting are counted. */
function recordingClock(): Clock & { delays: number[]; waiting(): number } {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const delays: number[] = [];
  return {
    delays,
    waiting: () => timers.size,
    now: () => Date.now(),
    setTimeout(callback, ms) {
      delays.push(ms);
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          callback();
        },
        Math.min(ms, 5),
      );
      timers.add(timer);
      return timer;
    },
    clearTimeout(handle) {
      clearTimeout(handle as ReturnType<typeof setTimeout>);
      timers.delete(handle as ReturnType<typeof setTimeout>);
    },
  };
}

interface Opened {
  engine: Engine<TodoApp>;
  transport: MemoryTransport;
  statuses: SyncStatus[];
  rejected: RejectedRecord[];
}

async function open(
  server: ReturnType<typeof fakeServer>,
  storage: OpenedStorage,
  options: { clock?: Clock; sync?: boolean; offline?: boolean } = {},
): Promise<Opened> {
  const transport = new MemoryTransport(server.handle);
  if (options.offline) transport.goOffline();
  const engine = await Engine.open<TodoApp>({
    app: todo,
    ...storage,
    transport,
    scopes: ['list:a'],
    syncOptions: FAST_SYNC,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.sync === false ? { sync: false } : {}),
  });
  engines.push(engine);
  const statuses: SyncStatus[] = [];
  engine.onStatus((status) => statuses.push(status));
  const rejected: RejectedRecord[] = [];
  engine.onRejected((rejection) => rejected.push(rejection));
  return { engine, transport, statuses, rejected };
}

const dexieOn = (idb: FaultyIndexedDB, name = 'faults') => ({
  storage: dexieStorage({ name, tables: todo.tables, indexedDB: idb.indexedDB, IDBKeyRange: idb.IDBKeyRange }),
});

const quotaForever = { on: 'transaction', name: 'QuotaExceededError', times: Number.POSITIVE_INFINITY } as const;

describe('S01 quota exceeded', () => {
  it('refuses the commands of a commit that hits the quota with storage_full, and undoes their effects', async () => {
    const idb = faultyIndexedDB();
    const { engine, rejected } = await open(fakeServer(), dexieOn(idb), { sync: false });
    await add(engine, 'kept').durable;
    const seen: string[][] = [];
    engine.subscribe({ table: 'items' }, (items) => seen.push(items.map((item) => item.itemId)));
    idb.fail(quotaForever);
    const runs = [add(engine, 'x1'), add(engine, 'x2')];
    await Promise.all(runs.map((run) => run.applied));
    expect(engine.query({ table: 'items' }).map((item) => item.itemId)).toEqual(['kept', 'x1', 'x2']);
    for (const run of runs) {
      expect(await outcome(run.durable)).toBe('storage_full');
      expect(await outcome(run.confirmed)).toBe('storage_full');
      expect(engine.commandState(run.id)).toBe('rejected');
    }
    // No partial projection: the overlay, the live query and the outbox are back to before.
    expect(engine.query({ table: 'items' }).map((item) => item.itemId)).toEqual(['kept']);
    await until(() => seen.at(-1)?.join() === 'kept', 'the live query dropping x1 and x2');
    expect(engine.pending().map((command) => command.seq)).toEqual([1]);
    expect(engine.status()).toMatchObject({ storage: 'full', pending: 1, lastError: { code: 'storage_full' } });
    expect(rejected.map((rejection) => [rejection.id, rejection.code])).toEqual(
      runs.map((run) => [run.id, 'storage_full']),
    );
    // Nothing of theirs reached the disk.
    await engine.close();
    idb.heal();
    const reopened = dexieOn(idb).storage;
    const stored = await reopened.load({ scopes: ['list:a'], newClientId: () => 'unused' });
    expect(stored.outbox.map((record) => record.id)).toEqual([engine.pending()[0]?.id]);
    await reopened.close();
  });

  it('reports it once, gives up after a few backed-off tries, and tries again only when something changes', async () => {
    const idb = faultyIndexedDB();
    const clock = recordingClock();
    const { engine, statuses } = await open(fakeServer(), dexieOn(idb), { clock, sync: false });
    idb.fail(quotaForever);
    const before = idb.counts.transactions;
    const first = add(engine, 'x1');
    expect(await outcome(first.durable)).toBe('storage_full');
    expect(idb.counts.transactions - before).toBe(3); // three tries of the one group commit
    const backoffs = clock.delays.filter((ms) => ms > 0);
    expect(backoffs).toHaveLength(2);
    expect(backoffs[1]).toBeGreaterThan(backoffs[0] ?? Number.POSITIVE_INFINITY);
    expect(clock.waiting()).toBe(0); // no timer left: nothing retries on its own
    // A new command while storage is full gets one try, no new round of retries.
    const second = add(engine, 'x2');
    expect(await outcome(second.durable)).toBe('storage_full');
    expect(idb.counts.transactions - before).toBe(4);
    expect(clock.waiting()).toBe(0);
    const errors = new Set(statuses.map((status) => status.lastError));
    errors.delete(null);
    expect(errors.size).toBe(1); // four failed tries, one report
    expect(statuses.filter((status) => status.storage === 'full').length).toBeGreaterThan(0);
    // Space freed: the next command is durable and the state clears.
    idb.heal();
    await add(engine, 'x3').durable;
    expect(engine.status()).toMatchObject({ storage: 'ok', lastError: null });
    expect(engine.query({ table: 'items' }).map((item) => item.itemId)).toEqual(['x3']);
  });

  it('never loses confirmed server data: a confirmed write that hits the quota leaves the cursor behind, and a reload re-pulls', async () => {
    const server = fakeServer();
    const other = await open(server, dexieOn(faultyIndexedDB(), 'other'));
    await Promise.all(['s1', 's2'].map((id) => add(other.engine, id).confirmed));
    const idb = faultyIndexedDB();
    const client = await open(server, dexieOn(idb), { sync: false });
    idb.fail(quotaForever);
    client.engine.startSync();
    // Memory has the server's rows, so queries show them, but the disk write keeps failing.
    await until(() => client.engine.query({ table: 'items' }).length === 2, 'the server items in memory');
    await until(() => client.engine.status().storage === 'full', 'storage full');
    const command = add(client.engine, 'mine');
    expect(await outcome(command.durable)).toBe('storage_full'); // queued behind the stuck write
    await client.engine.close();
    idb.heal();
    const disk = dexieOn(idb).storage;
    const stored = await disk.load({ scopes: ['list:a'], newClientId: () => 'unused' });
    expect(stored.cursors['list:a'] ?? 0).toBe(0); // not advanced past what the disk holds
    expect(stored.rows).toEqual([]);
    await disk.close();
    // The next session pulls the confirmed events again, and converges with the server.
    const reloaded = await open(server, dexieOn(idb));
    await until(() => reloaded.engine.query({ table: 'items' }).length === 2, 'the server items after reload');
    expect({ items: reloaded.engine.query({ table: 'items' }) }).toEqual(server.dump('list:a'));
    // Its refused command took a seq the server never saw; later commands still go through.
    await add(reloaded.engine, 'after').confirmed;
    expect(
      server
        .dump('list:a')
        .items?.map((item) => (item as { itemId: string }).itemId)
        .sort(),
    ).toEqual(['after', 's1', 's2']);
  });

  it('after refusing commands, the commands that follow still reach the server (the seq gap heals)', async () => {
    const server = fakeServer();
    const idb = faultyIndexedDB();
    const { engine, transport } = await open(server, dexieOn(idb), { offline: true });
    await add(engine, 'a1').durable;
    idb.fail(quotaForever);
    expect(await outcome(add(engine, 'lost').durable)).toBe('storage_full');
    idb.heal();
    const later = add(engine, 'a2');
    await later.durable;
    transport.goOnline();
    engine.setOnline(true);
    await later.confirmed;
    await until(() => engine.status().pending === 0, 'everything settled');
    expect({ items: engine.query({ table: 'items' }) }).toEqual(server.dump('list:a'));
    expect(engine.query({ table: 'items' }).map((item) => item.itemId)).toEqual(['a1', 'a2']);
  });
});

describe('S02 connection lost', () => {
  it.each([
    ['UnknownError', 'Connection to Indexed Database server lost. Refresh the page to try again'],
    ['InvalidStateError', "Failed to execute 'transaction' on 'IDBDatabase': The database connection is closing."],
  ] as const)('reopens the database and retries the commit once on %s', async (name, message) => {
    const idb = faultyIndexedDB();
    const { engine, statuses } = await open(fakeServer(), dexieOn(idb), { sync: false });
    const opens = idb.counts.opens;
    // InvalidStateError is thrown by db.transaction(); Dexie reopens twice by itself first.
    idb.fail({ on: 'transaction', name, message, times: name === 'InvalidStateError' ? 3 : 1 });
    await add(engine, 'i1').durable;
    expect(idb.counts.opens).toBeGreaterThan(opens); // the handle was dropped and reopened
    expect(statuses.every((status) => status.lastError === null && status.storage === 'ok')).toBe(true);
    await engine.close();
    const stored = await dexieOn(idb).storage.load({ scopes: ['list:a'], newClientId: () => 'unused' });
    expect(stored.outbox.map((record) => record.args)).toEqual([{ listId: 'a', itemId: 'i1', text: 'i1' }]);
  });

  it('surfaces the error when the retry fails too: the storage rejects, and the engine refuses the command', async () => {
    const idb = faultyIndexedDB();
    const { storage } = dexieOn(idb);
    await storage.load({ scopes: [], newClientId: () => 'c' });
    idb.fail({ on: 'transaction', name: 'UnknownError', times: 2 });
    await expect(storage.commit({ lastSeq: 1 })).rejects.toThrow(/Connection to Indexed Database server lost/);
    expect(idb.counts.struck).toBe(2); // the first try and the one retry, no more
    await storage.commit({ lastSeq: 1 }); // the connection is usable again
    await storage.close();

    const engineIdb = faultyIndexedDB();
    const { engine } = await open(fakeServer(), dexieOn(engineIdb), { sync: false });
    engineIdb.fail({ on: 'transaction', name: 'UnknownError', times: Number.POSITIVE_INFINITY });
    const run = add(engine, 'i1');
    expect(await outcome(run.durable)).toBe('storage_failed');
    expect(engine.query({ table: 'items' })).toEqual([]);
    expect(engine.status()).toMatchObject({ storage: 'failed', lastError: { code: 'storage_failed' } });
  });

  it('runs every commit path inside its transaction without a foreign await (fake-indexeddb commits early on one)', async () => {
    const idb = faultyIndexedDB();
    const open = (indexes: string[]) =>
      dexieStorage({
        name: 'paths',
        tables: { ...todo.tables, items: { ...todo.tables.items, indexes } },
        indexedDB: idb.indexedDB,
        IDBKeyRange: idb.IDBKeyRange,
      });
    const storage = open(['listId']);
    await storage.load({ scopes: ['list:a'], newClientId: () => 'c' });
    const record = (seq: number) => ({
      seq,
      id: `c${seq}`,
      name: 'add',
      args: {},
      at: 0,
      scope: 'list:a',
      baseSeq: 0,
      digest: '',
    });
    const event = (seq: number) => ({
      seq,
      scope: 'list:a',
      type: 'added',
      data: {},
      commandId: `c${seq}`,
      clientId: 'c',
      at: 0,
    });
    const row = { itemId: 'i1', listId: 'a', text: 't', done: false };
    const settled = Array.from({ length: 3 }, (_, i) => ({
      status: 'confirmed' as const,
      id: `s${i}`,
      seq: 1100 + i * 100,
      name: 'add',
      scope: 'list:a',
      settledAt: 0,
    }));
    // Every part of a StorageCommit in one commit, pruning included, then a reset and a dismissal.
    await storage.commit({
      events: [event(1), event(2)],
      rows: [
        { table: 'items', scope: 'list:a', key: 'i1', row },
        { table: 'items', scope: 'list:a', key: 'i2', row: null },
      ],
      cursors: { 'list:a': 2 },
      clearOutbox: true,
      trim: [1],
      outbox: [record(2), record(3)],
      lastSeq: 3,
      settled,
      dismiss: ['nothing'],
    });
    await storage.commit({ resetScopes: ['list:a'], events: [event(1)], cursors: { 'list:a': 1 } });
    await storage.close();
    const reindexed = open(['listId', 'done']); // load rewrites every row's index entries
    const stored = await reindexed.load({ scopes: ['list:a'], newClientId: () => 'c' });
    expect(stored).toMatchObject({ lastSeq: 3, cursors: { 'list:a': 1 } });
    expect(stored.outbox.map((r) => r.seq)).toEqual([2, 3]);
    await reindexed.close();

    // The control: the same environment does catch an await on something else mid-transaction.
    const db = new Dexie('control', { indexedDB: new IDBFactory(), IDBKeyRange: idb.IDBKeyRange });
    db.version(1).stores({ things: 'id' });
    const foreign = db.transaction('rw', db.table('things'), async () => {
      await db.table('things').put({ id: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20)); // e.g. a fetch or crypto.subtle
      await db.table('things').put({ id: 2 });
    });
    await expect(foreign).rejects.toMatchObject({ name: expect.stringMatching(/PrematureCommit|TransactionInactive/) });
    db.close();
  });
});

describe('S03 origin evicted between sessions', () => {
  it('starts as a new client, re-bootstraps from the server, and warns that unsynced work may be lost', async () => {
    const server = fakeServer();
    const idb = faultyIndexedDB();
    const storage = () => openClientStorage({ dbName: 'evicted', tables: todo.tables, ...idb });
    const first = await open(server, await storage());
    await add(first.engine, 'synced').confirmed;
    first.transport.goOffline();
    await add(first.engine, 'unsynced').durable;
    const oldId = first.engine.clientId;
    expect(first.engine.status().storageLost).toBe(false);
    await first.engine.close();

    await idb.deleteDatabase('evicted'); // while the app is closed
    const second = await open(server, await storage());
    expect(second.engine.clientId).not.toBe(oldId);
    expect(second.engine.status()).toMatchObject({ storageLost: true, lastError: { code: 'storage_lost' } });
    await until(() => second.engine.query({ table: 'items' }).length === 1, 'the confirmed state pulled again');
    expect(second.engine.query({ table: 'items' }).map((item) => item.itemId)).toEqual(['synced']);
    // The server treats it as a new client: its first command is seq 1 under the new id.
    await add(second.engine, 'fresh').confirmed;
    const events = server.events.get('list:a') ?? [];
    expect(
      events.map((event) => [
        event.clientId === oldId ? 'old' : event.clientId === second.engine.clientId ? 'new' : '?',
        event.type,
      ]),
    ).toEqual([
      ['old', 'added'],
      ['new', 'added'],
    ]);
    await second.engine.close();

    // The next ordinary reload is no eviction.
    const third = await open(server, await storage());
    expect(third.engine.clientId).toBe(second.engine.clientId);
    expect(third.engine.status().storageLost).toBe(false);
  });

  it('cannot tell when the whole origin was wiped (marker gone too): the server simply sees a new client', async () => {
    const server = fakeServer();
    const first = await open(
      server,
      await openClientStorage({ dbName: 'wiped', tables: todo.tables, ...faultyIndexedDB() }),
    );
    await add(first.engine, 'one').confirmed;
    const fresh = faultyIndexedDB(); // a new, empty origin
    const second = await open(server, await openClientStorage({ dbName: 'wiped', tables: todo.tables, ...fresh }));
    expect(second.engine.clientId).not.toBe(first.engine.clientId);
    expect(second.engine.status().storageLost).toBe(false);
    await until(() => second.engine.query({ table: 'items' }).length === 1, 'the confirmed state pulled');
  });
});

describe('S04 no persistent storage', () => {
  it.each([
    [
      'refuses to open',
      (idb: FaultyIndexedDB) => {
        idb.refuseOpen(true);
        return idb;
      },
    ],
    ['is missing', () => ({})],
  ])('falls back to memory when IndexedDB %s, flagged, and durable waits for the server', async (_, platform) => {
    const server = fakeServer();
    const opened = await openClientStorage({ dbName: 'private', tables: todo.tables, ...platform(faultyIndexedDB()) });
    expect(opened.memoryFallback).toEqual(expect.any(String));
    const { engine, transport } = await open(server, opened, { offline: true });
    expect(engine.status()).toMatchObject({
      storage: 'memory',
      persisted: false,
      lastError: { code: 'not_persisted' },
    });
    const run = add(engine, 'm1');
    let durable = false;
    run.durable.then(() => {
      durable = true;
    });
    await run.applied;
    await engine.flush(); // its outbox row is in memory now
    expect(engine.query({ table: 'items' }).map((item) => item.itemId)).toEqual(['m1']);
    expect(durable).toBe(false); // memory is not a disk: not durable while only here
    transport.goOnline();
    engine.setOnline(true);
    await run.confirmed;
    await run.durable; // the server has stored it: now it survives this page
    expect(server.dump('list:a').items).toEqual(engine.query({ table: 'items' }));
    expect(engine.status().storage).toBe('memory');
  });
});
