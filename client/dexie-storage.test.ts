import { IDBDatabase, IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { runClientStorageContract } from './client-storage.contract.ts';
import { dexieStorage } from './dexie-storage.ts';
import { todo } from './testing/todo-app.ts';

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
