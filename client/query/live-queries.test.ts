import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryTables, type Row } from '../../shared/index.ts';
import { itemOp, itemQuery, queryTables } from '../../tests/support/query-property.ts';
import { type LiveDiff, LiveQueries } from './live-queries.ts';
import { runQuery } from './query.ts';

const flushed = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function live(store: MemoryTables) {
  return new LiveQueries({
    tables: queryTables,
    run: (query) => runQuery(queryTables, query, ['s'], () => store),
    readerOf: () => store,
    scopes: () => ['s'],
  });
}

describe('LiveQueries', () => {
  it('keeps every live result equal to a re-run of its query after every change, patching by diff (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(itemOp, { maxLength: 12 }),
        fc.array(itemQuery, { minLength: 1, maxLength: 4 }),
        fc.array(fc.record({ ops: fc.array(itemOp, { minLength: 1, maxLength: 4 }), coarse: fc.boolean() }), {
          maxLength: 8,
        }),
        async (initial, queries, steps) => {
          const store = new MemoryTables(queryTables);
          for (const op of initial) op.kind === 'put' ? store.put('items', op.row) : store.delete('items', op.id);
          const queries$ = live(store);
          const latest = queries.map(() => [] as Row[]);
          queries.forEach((query, i) => {
            queries$.subscribe({ table: 'items', ...query }, (rows) => {
              latest[i] = rows;
            });
          });
          for (const { ops, coarse } of steps) {
            for (const op of ops) op.kind === 'put' ? store.put('items', op.row) : store.delete('items', op.id);
            if (coarse) queries$.invalidate('s', ['items']);
            else
              queries$.changed(
                's',
                ops.map((op) => ({ table: 'items', key: op.kind === 'put' ? op.row.id : op.id })),
              );
            await flushed();
            queries.forEach((query, i) => {
              expect(latest[i], JSON.stringify(query)).toEqual(store.query('items', query));
            });
          }
        },
      ),
    );
  });

  it('reports the diff, and stays silent when a change leaves the result as it was', async () => {
    const store = new MemoryTables(queryTables);
    const put = (id: string, n: number) => store.put('items', { id, g: 'x', n, s: 'a' });
    put('a', 1);
    put('b', 2);
    const queries$ = live(store);
    const calls: Array<{ ids: unknown[]; diff: LiveDiff }> = [];
    queries$.subscribe({ table: 'items', where: { g: 'x' }, orderBy: 'n', limit: 2 }, (rows, diff) =>
      calls.push({ ids: rows.map((r) => r.id), diff }),
    );
    put('c', 0); // enters first, pushes b out of the window
    queries$.changed('s', [{ table: 'items', key: 'c' }]);
    await flushed();
    expect(calls.at(-1)?.ids).toEqual(['c', 'a']);
    expect(calls.at(-1)?.diff.added.map((r) => r.id)).toEqual(['c']);
    expect(calls.at(-1)?.diff.removed.map((r) => r.id)).toEqual(['b']);
    put('d', 9); // beyond the window: nothing visible changes
    queries$.changed('s', [{ table: 'items', key: 'd' }]);
    await flushed();
    expect(calls).toHaveLength(2);
    store.delete('items', 'c'); // leaves; the window refills from the index with b
    queries$.changed('s', [{ table: 'items', key: 'c' }]);
    await flushed();
    expect(calls.at(-1)?.ids).toEqual(['a', 'b']);
  });
});
