import { Dexie } from 'dexie';
import { IDBDatabase, IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import type { WireEvent } from '../../shared/index.ts';
import { todo } from '../testing/todo-app.ts';
import { runClientStorageContract } from './client-storage.contract.ts';
import { dexieStorage } from './dexie-storage.ts';

const event = (scope: string, seq: number): WireEvent => ({
  seq,
  scope,
  type: 'added',
  data: { listId: 'a', itemId: `i${seq}`, text: 't' },
  commandId: `k${seq}`,
  clientId: 'other',
  at: seq,
});

runClientStorageContract('dexie', () => {
  const indexedDB = new IDBFactory();
  return () => dexieStorage({ name: 'contract', tables: todo.tables, indexedDB, IDBKeyRange });
});

describe('dexieStorage', () => {
  it('writes with strict durability', async () => {
    const indexedDB = new IDBFactory();
    // Dexie binds `transaction` when it opens the database, so spy before that.
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const storage = dexieStorage({ name: 'durability', tables: todo.tables, indexedDB, IDBKeyRange });
    await storage.load({ scopes: [], newClientId: () => 'c' });
    await storage.commit({ lastSeq: 1 });
    const modes = spy.mock.calls.map((call) => [call[1], call[2]]);
    expect(modes.filter(([mode]) => mode === 'readwrite')).toEqual([
      ['readwrite', { durability: 'strict' }],
      ['readwrite', { durability: 'strict' }],
    ]);
    spy.mockRestore();
  });

  it('re-indexes stored rows when the app declares other indexes', async () => {
    const indexedDB = new IDBFactory();
    const open = (indexes: string[]) =>
      dexieStorage({
        name: 'reindex',
        tables: { items: { ...todo.tables.items, indexes } },
        indexedDB,
        IDBKeyRange,
      });
    const before = open([]);
    await before.load({ scopes: [], newClientId: () => 'c' });
    const row = { itemId: 'i1', listId: 'a', text: 't', done: true };
    await before.commit({ rows: [{ table: 'items', scope: 'list:a', key: 'i1', row }] });
    await before.close();
    const after = open(['done']);
    await after.load({ scopes: [], newClientId: () => 'c' });
    expect(await after.readRows('items', 'list:a', { done: true })).toEqual([row]);
  });

  it('opens a version-1 database: its events, rows, outbox and counter read back, and new events follow them', async () => {
    const indexedDB = new IDBFactory();
    // The version-1 layout, written as that version did: one record per event.
    const v1 = new Dexie('upgrade', { indexedDB, IDBKeyRange });
    v1.version(1).stores({
      events: '[scope+seq]',
      outbox: 'seq',
      rows: '[table+scope+key], scope, *ix',
      cursors: 'scope',
      settled: 'id, [status+seq]',
      meta: 'key',
    });
    const old = [event('list:a', 1), event('list:a', 2)];
    const row = { itemId: 'i1', listId: 'a', text: 't', done: false };
    const command = { seq: 1, id: 'x1', name: 'add', args: {}, at: 0, scope: 'list:a', baseSeq: 2, digest: '' };
    await v1.table('events').bulkPut(old);
    await v1.table('rows').put({ table: 'items', scope: 'list:a', key: 'i1', row, ix: [] });
    await v1.table('cursors').put({ scope: 'list:a', seq: 2 });
    await v1.table('outbox').put(command);
    await v1.table('meta').bulkPut([
      { key: 'clientId', value: 'old-client' },
      { key: 'lastSeq', value: 1 },
    ]);
    v1.close();

    const storage = dexieStorage({ name: 'upgrade', tables: todo.tables, indexedDB, IDBKeyRange });
    const loaded = await storage.load({ scopes: ['list:a'], newClientId: () => 'new-client' });
    expect(loaded).toMatchObject({ clientId: 'old-client', lastSeq: 1, outbox: [command], cursors: { 'list:a': 2 } });
    expect(loaded.rows).toEqual([{ table: 'items', scope: 'list:a', key: 'i1', row }]);
    expect(await storage.readRows('items', 'list:a', { listId: 'a' })).toEqual([row]);
    await storage.commit({ events: [event('list:a', 3), event('list:a', 4)], cursors: { 'list:a': 4 } });
    expect(await storage.readEvents('list:a')).toEqual([...old, event('list:a', 3), event('list:a', 4)]);
    // A reset erases both layouts.
    await storage.commit({ resetScopes: ['list:a'], events: [event('list:a', 1)] });
    expect(await storage.readEvents('list:a')).toEqual([event('list:a', 1)]);
    await storage.close();
  });

  it('asks the platform to persist through the injected function', async () => {
    const storage = dexieStorage({
      name: 'persist',
      tables: todo.tables,
      indexedDB: new IDBFactory(),
      IDBKeyRange,
      persist: async () => true,
    });
    expect(await storage.persist()).toBe(true);
  });
});
