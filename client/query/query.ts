import {
  canonicalJson,
  compareByPlan,
  planQuery,
  type Row,
  type RowOf,
  type TableDefs,
  type TableName,
  type TableQuery,
  type TableReader,
} from '../../shared/index.ts';

/**
 * A read of one projection table, as plain data (it crosses `postMessage` unchanged): a
 * `TableQuery` (a declared index, `where` on its prefix, `range`, `orderBy`, `limit`, `after`)
 * over one scope or every scope the client syncs. Rows come in the index's order; with
 * `where` alone on an index of exactly those fields, that is key order. A query no declared
 * index serves throws a `QueryError` naming the index to declare.
 *
 * @example
 * engine.query({ table: 'cards', where: { columnId: 'todo' }, orderBy: 'rank', limit: 50 });
 */
export interface Query<T extends TableDefs = TableDefs, N extends TableName<T> = TableName<T>>
  extends TableQuery<RowOf<T, N>> {
  readonly table: N;
  /** One scope; all the scopes the client syncs when omitted. */
  readonly scope?: string;
}

export type { OrderBy } from '../../shared/index.ts';

/**
 * Runs a query over the readers of the given scopes (a missing reader is an empty scope). Each
 * scope reads its own index; several scopes merge in index order (ties in scope order), then
 * the limit applies.
 */
export function runQuery(
  tables: TableDefs,
  query: Query,
  scopes: ReadonlyArray<string>,
  readerOf: (scope: string) => TableReader | undefined,
): Row[] {
  const { table, scope, ...tableQuery } = query;
  const plan = planQuery(tables, table, tableQuery);
  const read = scope === undefined ? scopes : [scope];
  if (read.length === 1) return readerOf(read[0] as string)?.query(table, tableQuery) ?? [];
  return mergeScopes(
    tables,
    query,
    read.map((s) => readerOf(s)?.query(table, tableQuery) ?? []),
    plan,
  );
}

/** Merges per-scope results of `query` (each in index order) into one, in index order, then limits it. */
export function mergeScopes(
  tables: TableDefs,
  query: Query,
  results: ReadonlyArray<ReadonlyArray<Row>>,
  plan = planQuery(tables, query.table, query),
): Row[] {
  const rows: Row[] = [];
  for (const result of results) for (const row of result) rows.push(row);
  const sign = plan.direction === 'asc' ? 1 : -1;
  // Array.prototype.sort is stable: rows equal in the index (one key in two scopes) keep scope order.
  rows.sort((a, b) => sign * compareByPlan(plan, a, b));
  return plan.limit === undefined ? rows : rows.slice(0, plan.limit);
}

/**
 * Whether two results hold the same rows in the same order. Unchanged rows are usually the
 * same frozen objects, so identity settles most; otherwise fields are compared one by one,
 * nested values by their canonical JSON.
 */
export function sameRows(a: ReadonlyArray<Row>, b: ReadonlyArray<Row>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== y && (x === undefined || y === undefined || !sameRow(x, y))) return false;
  }
  return true;
}

function sameRow(a: Row, b: Row): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (canonicalJson(x) !== canonicalJson(y)) return false;
  }
  return true;
}
