import {
  canonicalJson,
  type Row,
  type RowOf,
  type TableDefs,
  type TableName,
  type TableReader,
} from '../shared/index.ts';

/**
 * A read of one projection table, as plain data (it crosses `postMessage` unchanged).
 * Without `orderBy`, rows come by scope, then by key; `where` matches fields exactly and uses
 * a declared index when one of its fields has one.
 *
 * @example
 * engine.query({ table: 'cards', where: { columnId: 'todo' }, orderBy: 'rank', limit: 50 });
 */
export interface Query<T extends TableDefs = TableDefs, N extends TableName<T> = TableName<T>> {
  readonly table: N;
  readonly where?: Partial<RowOf<T, N>>;
  /** One scope; all the scopes the client syncs when omitted. */
  readonly scope?: string;
  readonly orderBy?: OrderBy<keyof RowOf<T, N> & string>;
  readonly limit?: number;
}

export type OrderBy<F extends string = string> = F | { readonly field: F; readonly direction: 'asc' | 'desc' };

/** Runs a query over the readers of the given scopes (a missing reader is an empty scope). */
export function runQuery(
  query: Query,
  scopes: ReadonlyArray<string>,
  readerOf: (scope: string) => TableReader | undefined,
): Row[] {
  const where = query.where as Readonly<Record<string, unknown>> | undefined;
  let rows: Row[] = [];
  for (const scope of query.scope === undefined ? scopes : [query.scope]) {
    const found = readerOf(scope)?.find(query.table, where) ?? [];
    if (rows.length === 0) rows = found;
    else for (const row of found) rows.push(row);
  }
  if (query.orderBy !== undefined) {
    const { field, direction } =
      typeof query.orderBy === 'string' ? { field: query.orderBy, direction: 'asc' } : query.orderBy;
    const sign = direction === 'desc' ? -1 : 1;
    // Array.prototype.sort is stable: ties keep the scope-then-key order.
    rows.sort((a, b) => sign * compareValues(a[field], b[field]));
  }
  return query.limit === undefined ? rows : rows.slice(0, Math.max(0, query.limit));
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

/** Orders JSON values: missing and null first, then booleans, numbers, strings (by code unit), then the rest. */
function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (ra === 4) {
    const ja = canonicalJson(a);
    const jb = canonicalJson(b);
    return ja < jb ? -1 : ja > jb ? 1 : 0;
  }
  return 0;
}

function rank(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'boolean') return 1;
  if (typeof value === 'number') return 2;
  if (typeof value === 'string') return 3;
  return 4;
}
