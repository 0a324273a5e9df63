import '../../tests/support/fast-check-seed.ts';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Row } from '../../shared/index.ts';
import type { Query } from '../query/index.ts';
import { memoryStorage } from '../storage/index.ts';
import { fakeServer, openClient } from '../testing/harness.ts';
import { type TodoApp, todo } from '../testing/todo-app.ts';

/**
 * Flat first paint with pending commands (issue 16): a lazy engine reopens a scope with
 * pending commands unloaded and answers a read by re-running them over the stored rows read
 * on demand (first-read.ts). The answer must be the one the engine that loads everything
 * gives, for any stored rows, pending commands and query.
 */

const SCOPES = ['list:a', 'list:b'];
const TEXTS = ['a', 'b', 'c', 'd'];
const IDS = ['i1', 'i2', 'i3', 'i4', 'i5'];

const storedRow = fc.record({
  itemId: fc.constantFrom(...IDS),
  text: fc.constantFrom(...TEXTS),
  done: fc.boolean(),
});

const command = fc.oneof(
  fc.record({
    name: fc.constant('add' as const),
    itemId: fc.constantFrom(...IDS, 'n1', 'n2'),
    text: fc.constantFrom(...TEXTS),
  }),
  fc.record({ name: fc.constant('rename' as const), itemId: fc.constantFrom(...IDS), text: fc.constantFrom(...TEXTS) }),
  fc.record({ name: fc.constant('toggle' as const), itemId: fc.constantFrom(...IDS) }),
  fc.record({ name: fc.constant('remove' as const), itemId: fc.constantFrom(...IDS, 'n1') }),
  fc.record({ name: fc.constant('touch' as const) }),
);

const direction = fc.constantFrom('asc' as const, 'desc' as const);
const tableQuery = fc.oneof(
  fc.constant({}),
  fc.constant({ where: { listId: 'a' } }),
  fc.record({ where: fc.record({ done: fc.boolean() }) }),
  fc.record({ where: fc.record({ done: fc.boolean() }), limit: fc.nat(3) }),
  fc.record({ orderBy: fc.record({ field: fc.constant('text'), direction }), limit: fc.nat(4) }),
  fc.record({ orderBy: fc.constant('text'), range: fc.record({ gte: fc.constantFrom(...TEXTS) }) }),
  fc.record({ orderBy: fc.record({ direction }), limit: fc.nat(4) }),
  fc.record({
    orderBy: fc.record({ direction }),
    limit: fc.nat(3),
    after: fc.record({ itemId: fc.constantFrom(...IDS) }),
  }),
);
const query = fc.record({ scope: fc.constantFrom('list:a', undefined), q: tableQuery });

describe('first read of a scope with pending commands', () => {
  it('equals what the engine that loads every scope answers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(storedRow, { selector: (row) => row.itemId, maxLength: 4 }),
        fc.array(command, { maxLength: 8 }),
        fc.array(query, { minLength: 1, maxLength: 4 }),
        async (rows, commands, queries) => {
          const storage = memoryStorage({ tables: todo.tables });
          const stored = rows.map((row) => ({ ...row, listId: 'a' }));
          await storage.load({ scopes: SCOPES, newClientId: () => 'client' });
          await storage.commit({
            rows: [
              ...stored.map((row) => ({ table: 'items', scope: 'list:a', key: row.itemId, row })),
              {
                table: 'items',
                scope: 'list:b',
                key: 'b1',
                row: { itemId: 'b1', listId: 'b', text: 'b', done: false },
              },
            ],
            cursors: { 'list:a': 1, 'list:b': 1 },
          });
          // The commands left pending by an earlier session (the ones its handlers accepted).
          const first = await openClient<TodoApp>(fakeServer(), { storage, scopes: SCOPES, sync: false });
          for (const [i, { name, ...args }] of commands.entries())
            first.engine.submit(`c${i}`, name, { listId: 'a', ...args });
          await first.engine.flush();
          await first.engine.close();

          const asked = queries.map(({ scope, q }) => ({ table: 'items', ...(scope ? { scope } : {}), ...q }) as Query);
          const lazy = await openClient<TodoApp>(fakeServer(), { storage, scopes: SCOPES, sync: false, lazy: true });
          const readRows = vi.spyOn(storage, 'readRows');
          const firstReads: Row[][] = [];
          for (const q of asked) firstReads.push(await lazy.engine.read(q as never));
          expect(readRows).not.toHaveBeenCalled(); // no scope was loaded whole
          expect(() => lazy.engine.query({ table: 'items', scope: 'list:a' })).toThrow(/not loaded/);
          readRows.mockRestore();
          await lazy.engine.close();

          const eager = await openClient<TodoApp>(fakeServer(), { storage, scopes: SCOPES, sync: false });
          const loadedReads = asked.map((q) => eager.engine.query(q as never));
          await eager.engine.close();
          expect(firstReads).toEqual(loadedReads);
        },
      ),
      { numRuns: 60 },
    );
  });
});
