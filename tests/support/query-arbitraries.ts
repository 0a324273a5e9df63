import fc from 'fast-check';
import * as v from 'valibot';
import type { ClientStorage } from '../../client/storage/client-storage.ts';
import {
  declaredIndexes,
  defineApp,
  planQuery,
  type Row,
  runPlanOn,
  type TableDefs,
  type TableQuery,
  table,
} from '../../shared/index.ts';

/**
 * The query property every store runs (this module has no vitest import: the Chromium test page
 * runs it too) (memory, overlay over memory, IndexedDB, the server's
 * read model): random rows, random puts and deletes, random queries, each answer equal to the
 * reference (filter, sort, skip to the cursor, slice) over the rows the store should hold.
 * Values mix types (null, booleans, numbers, strings) so the cross-type order is tested too.
 */
const Item = v.object({
  id: v.string(),
  g: v.string(),
  n: v.nullable(v.number()),
  s: v.union([v.string(), v.boolean()]),
});

export const queryTables = {
  items: table(Item, { key: 'id', indexes: [['g', 'n'], 's', ['g', 's', 'n'], ['n', 's']] }),
} satisfies TableDefs;

/** The same table as an app: `put` and `del` events project onto it (for stores fed by events). */
export const queryApp = defineApp({
  name: 'query-property',
  events: { put: Item, del: v.object({ id: v.string() }) },
  tables: queryTables,
  projections: {
    put: (tx, { data }) => tx.put('items', data),
    del: (tx, { data }) => tx.delete('items', data.id),
  },
  commands: {},
});

export type ItemOp = { kind: 'put'; row: v.InferOutput<typeof Item> } | { kind: 'delete'; id: string };

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const gs = ['x', 'y', 'z'];
const ns = [null, -1, 0, 1, 2.5, 3];
const ss: Array<string | boolean> = ['', 'A', 'a', 'ab', false, true];

const value = (field: string): fc.Arbitrary<unknown> =>
  field === 'g'
    ? fc.constantFrom(...gs)
    : field === 'n'
      ? fc.constantFrom(...ns)
      : field === 's'
        ? fc.constantFrom(...ss)
        : fc.constantFrom(...ids);

export const itemOp: fc.Arbitrary<ItemOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({
        id: fc.constantFrom(...ids),
        g: fc.constantFrom(...gs),
        n: fc.constantFrom(...ns),
        s: fc.constantFrom(...ss),
      })
      .map((row) => ({ kind: 'put' as const, row })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...ids).map((id) => ({ kind: 'delete' as const, id })) },
);

/** A query some declared index serves: an index, a `where` on a prefix, maybe a range, direction, limit and cursor. */
export const itemQuery: fc.Arbitrary<TableQuery> = fc
  .constantFrom(...declaredIndexes(queryTables.items), [] as ReadonlyArray<string>)
  .chain((fields) => {
    const all = [...fields, 'id'];
    return fc.integer({ min: 0, max: all.length }).chain((k) => {
      const next = all[k];
      const whereArb = fc.tuple(...all.slice(0, k).map((f) => value(f)));
      const rangeArb =
        next === undefined
          ? fc.constant(undefined)
          : fc.option(
              fc.record({ gt: value(next), gte: value(next), lt: value(next), lte: value(next) }, { requiredKeys: [] }),
              { nil: undefined },
            );
      const cursorArb = fc.option(fc.record({ g: value('g'), n: value('n'), s: value('s'), id: value('id') }), {
        nil: undefined,
      });
      return fc
        .record({
          where: whereArb,
          range: rangeArb,
          desc: fc.boolean(),
          named: fc.boolean(),
          limit: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
          after: cursorArb,
        })
        .map(({ where, range, desc, named, limit, after }) => {
          const query: Record<string, unknown> = {
            index: fields.length === 0 ? ['id'] : fields,
            where: Object.fromEntries(all.slice(0, k).map((f, i) => [f, where[i]])),
          };
          if (range !== undefined) query.range = range;
          if (desc || !named)
            query.orderBy =
              next === undefined
                ? { direction: desc ? 'desc' : 'asc' }
                : { field: next, direction: desc ? 'desc' : 'asc' };
          if (!named && next !== undefined) delete query.index; // the planner picks an index serving where + orderBy
          if (limit !== undefined) query.limit = limit;
          if (after !== undefined) query.after = after;
          return query as TableQuery;
        });
    });
  });

/** The rows a store holds after `ops`, as the reference sees them. */
export function applyToModel(model: Map<string, Row>, ops: ReadonlyArray<ItemOp>): void {
  for (const op of ops) {
    if (op.kind === 'put') model.set(op.row.id, op.row);
    else model.delete(op.id);
  }
}

/** What a store must answer to `query` given the rows in `model`. */
export function expected(model: Map<string, Row>, query: TableQuery): Row[] {
  return runPlanOn(planQuery(queryTables, 'items', query), model.values());
}

export interface QueryStoreUnderTest {
  apply(ops: ReadonlyArray<ItemOp>): void | Promise<void>;
  query(query: TableQuery): Row[] | Promise<Row[]>;
}

/**
 * A client storage adapter as a store under test, reading scope `s`; a row of scope `t` with a
 * key the property also writes must never show up in its answers.
 */
export async function storageUnderTest(storage: ClientStorage): Promise<QueryStoreUnderTest> {
  await storage.load({ scopes: ['s'], newClientId: () => 'c' });
  await storage.commit({
    rows: [{ table: 'items', scope: 't', key: 'a', row: { id: 'a', g: 'x', n: 1, s: 'a' } }],
  });
  return {
    apply: (ops) =>
      storage.commit({
        rows: ops.map((op) =>
          op.kind === 'put'
            ? { table: 'items', scope: 's', key: op.row.id, row: op.row }
            : { table: 'items', scope: 's', key: op.id, row: null },
        ),
      }),
    query: (query) => storage.queryRows('items', 's', query),
  };
}

/**
 * The property: batches of writes to a fresh store from `make`, each followed by queries whose
 * answers `check` compares with the reference.
 */
export function queryStoreProperty(
  make: () => QueryStoreUnderTest | Promise<QueryStoreUnderTest>,
  check: (actual: Row[], expected: Row[], query: TableQuery) => void,
) {
  return fc.asyncProperty(
    fc.array(fc.tuple(fc.array(itemOp, { maxLength: 10 }), fc.array(itemQuery, { minLength: 1, maxLength: 4 })), {
      minLength: 1,
      maxLength: 4,
    }),
    async (steps) => {
      const store = await make();
      const model = new Map<string, Row>();
      for (const [ops, queries] of steps) {
        await store.apply(ops);
        applyToModel(model, ops);
        for (const query of queries) check(await store.query(query), expected(model, query), query);
      }
    },
  );
}
