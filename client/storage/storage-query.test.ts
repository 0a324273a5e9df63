import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { storageUnderTest } from '../../tests/support/query-arbitraries.ts';
import { checkQueryStore, queryTables } from '../../tests/support/query-property.ts';
import type { ClientStorage } from './client-storage.ts';
import { dexieStorage } from './dexie-storage.ts';
import { memoryStorage } from './memory-storage.ts';

let n = 0;
const adapters: Record<string, () => ClientStorage> = {
  // One factory per database: fake-indexeddb keeps every database of a factory in memory.
  dexie: () => dexieStorage({ name: `query-${n++}`, tables: queryTables, indexedDB: new IDBFactory(), IDBKeyRange }),
  memory: () => memoryStorage({ tables: queryTables }),
};

for (const [name, make] of Object.entries(adapters)) {
  describe(`${name} storage: queryRows`, () => {
    it('reads what the reference reads (filter, sort, slice) after every commit (property)', async () => {
      await checkQueryStore(() => storageUnderTest(make()), 40);
    });

    it('refuses a query no declared index serves, naming the index', async () => {
      const storage = make();
      await storage.load({ scopes: ['s'], newClientId: () => 'c' });
      await expect(storage.queryRows('items', 's', { where: { s: 'a' }, orderBy: 'g' })).rejects.toThrow(
        "declare indexes: [['s', 'g']]",
      );
    });
  });
}
