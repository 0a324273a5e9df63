import { canonicalJson } from './canonical-json.ts';
import type { AnyTableDef, Row, TableDefs } from './table-defs.ts';

/**
 * The one query model of weft: command handlers, projections, client queries and the server's
 * read models all read a table through a declared ordered index.
 *
 * An index is a list of fields; its rows are ordered by those fields' values, then by the
 * table's key (so the order is total). Every table also has its key index (`[key]`). A query
 * names an index (or lets the planner pick the one that fits), fixes its leading fields with
 * `where`, bounds the next field with `range`, and reads in index order, `asc` or `desc`, from
 * after a cursor, up to a limit. A query no declared index serves throws a `QueryError` naming
 * the index to declare: there is no silent full scan.
 *
 * Values order as IndexedDB keys can encode them: missing and null first, then false, true,
 * numbers, strings (by UTF-16 code unit), then any other JSON by its canonical text.
 */
export interface TableQuery<R extends Row = Row> {
  /** The fields of a declared index; picked from `where`, `orderBy` and `range` when omitted. */
  readonly index?: ReadonlyArray<keyof R & string>;
  /** Equality on the index's leading fields (a prefix of it, in any key order). */
  readonly where?: Partial<R>;
  /** Bounds on the index field right after the `where` prefix. */
  readonly range?: RangeBounds;
  /** The index field after the `where` prefix, or the direction alone; `asc` by default. */
  readonly orderBy?: OrderBy<keyof R & string>;
  readonly limit?: number;
  /** A cursor: the last row of the previous page (its index fields and key). Rows strictly after it. */
  readonly after?: Partial<R>;
}

export interface RangeBounds {
  readonly gt?: unknown;
  readonly gte?: unknown;
  readonly lt?: unknown;
  readonly lte?: unknown;
}

export type Direction = 'asc' | 'desc';
export type OrderBy<F extends string = string> =
  | F
  | { readonly field?: F; readonly direction: Direction }
  | { readonly field: F; readonly direction?: Direction };

/** A query resolved against a table's declared indexes: what every store executes. */
export interface QueryPlan {
  readonly table: string;
  /** The index's fields (empty for the key index); the key field always follows them. */
  readonly fields: ReadonlyArray<string>;
  readonly key: string;
  /** `where` values in index field order. */
  readonly prefix: ReadonlyArray<unknown>;
  readonly range: RangeBounds | undefined;
  readonly direction: Direction;
  readonly limit: number | undefined;
  readonly after: Row | undefined;
}

/** A query that no declared index serves, or that is malformed. */
export class QueryError extends TypeError {
  override readonly name = 'QueryError';
}

/** A table's declared indexes as field lists (a single field `'a'` is the index `['a']`). */
export function declaredIndexes(def: AnyTableDef): ReadonlyArray<ReadonlyArray<string>> {
  return def.indexes.map((index) => (typeof index === 'string' ? [index] : index));
}

/** The name of an index in stores that key indexes by name: its fields joined by `+`, as Dexie does. */
export function indexName(fields: ReadonlyArray<string>): string {
  return fields.length === 0 ? ':key' : fields.join('+');
}

/** Checks one table's index declarations; `defineApp` calls it so a bad one fails at definition. */
export function checkIndexes(table: string, def: AnyTableDef): void {
  const seen = new Set<string>();
  for (const fields of declaredIndexes(def)) {
    if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== 'string' || f === '')) {
      throw new QueryError(`table ${table}: an index is a non-empty list of field names`);
    }
    if (new Set(fields).size !== fields.length)
      throw new QueryError(`table ${table}: index [${fields}] repeats a field`);
    if (fields.includes(def.key))
      throw new QueryError(`table ${table}: index [${fields}] names the key, which every index ends with`);
    const name = indexName(fields);
    if (seen.has(name)) throw new QueryError(`table ${table}: index [${fields}] is declared twice`);
    seen.add(name);
  }
}

/** Resolves `query` on `table` to the declared index that serves it, or throws a `QueryError` saying which to declare. */
export function planQuery(defs: TableDefs, table: string, query: TableQuery = {}, edge?: 'first' | 'last'): QueryPlan {
  const def = defs[table];
  if (!def) throw new QueryError(`unknown table ${table}`);
  const where = (query.where ?? {}) as Readonly<Record<string, unknown>>;
  const whereFields = Object.keys(where);
  const { field: orderField, direction: asked } = orderOf(query.orderBy);
  // `edge` reads one row from either end without building another query object (ctx.first/last).
  const direction: Direction = edge === 'last' ? (asked === 'asc' ? 'desc' : 'asc') : asked;
  const limit = edge === undefined ? query.limit : 1;
  if (edge === 'last' && query.after !== undefined) {
    throw new QueryError(`table ${table}: last() takes no cursor; query with after and limit`);
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new QueryError(`table ${table}: limit must be an integer ≥ 0`);
  }
  // Which index serves a query depends only on its shape (not its values): resolve it once.
  const shape = `${table}\u0000${query.index?.join(',') ?? ''}\u0000${whereFields.join(',')}\u0000${orderField ?? ''}\u0000${query.range === undefined ? 0 : 1}`;
  let known = resolved.get(defs);
  if (!known) {
    known = new Map();
    resolved.set(defs, known);
  }
  let fields = known.get(shape);
  if (fields === undefined) {
    fields = resolveIndex(table, def, query, whereFields, orderField);
    known.set(shape, fields);
  }
  const keyed = fields.length;
  const prefix: unknown[] = [];
  for (let i = 0; i < whereFields.length; i++) prefix.push(where[i < keyed ? (fields[i] as string) : def.key]);
  return {
    table,
    fields,
    key: def.key,
    prefix,
    range: query.range,
    direction,
    limit,
    after: query.after as Row | undefined,
  };
}

/** Indexes resolved per query shape, per app's tables. */
const resolved = new WeakMap<TableDefs, Map<string, ReadonlyArray<string>>>();

/** The declared index a query of this shape reads, or a `QueryError` naming the one to declare. */
function resolveIndex(
  table: string,
  def: AnyTableDef,
  query: TableQuery,
  whereFields: ReadonlyArray<string>,
  orderField: string | undefined,
): ReadonlyArray<string> {
  const candidates = [...declaredIndexes(def), []];
  const fits = (fields: ReadonlyArray<string>): boolean => {
    const all = [...fields, def.key];
    if (whereFields.length > all.length) return false;
    const lead = all.slice(0, whereFields.length);
    if (!whereFields.every((f) => lead.includes(f))) return false;
    const next = all[whereFields.length];
    if (orderField !== undefined && next !== orderField) return false;
    return query.range === undefined || next !== undefined;
  };
  let fields: ReadonlyArray<string> | undefined;
  if (query.index !== undefined) {
    const wanted = indexName(query.index as ReadonlyArray<string>);
    fields = candidates.find((c) => indexName(c) === wanted || (c.length === 0 && wanted === def.key));
    if (!fields)
      throw new QueryError(
        `table ${table}: no declared index [${query.index}]; declare indexes: [[${quoted(query.index as ReadonlyArray<string>)}]]`,
      );
    if (!fits(fields))
      throw new QueryError(
        `table ${table}: index [${query.index}] does not serve ${describe(whereFields, orderField, query.range)}`,
      );
  } else {
    // The shortest fitting index: with `where` alone, an index of exactly those fields reads in key order.
    fields = candidates.filter(fits).sort((a, b) => a.length - b.length)[0];
    if (!fields) {
      const needed = [...whereFields, ...(orderField === undefined ? [] : [orderField])];
      throw new QueryError(
        `table ${table}: no declared index serves ${describe(whereFields, orderField, query.range)}; declare indexes: [[${quoted(needed)}${query.range !== undefined && orderField === undefined ? ", '<range field>'" : ''}]]`,
      );
    }
  }
  return fields;
}

/** Orders two rows by `plan`'s index (its fields, then the key), ascending. */
export function compareByPlan(plan: Pick<QueryPlan, 'fields' | 'key'>, a: Row, b: Row): number {
  // The innermost loop of every index search: indexed, no iterator.
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    const c = compareValues(a[field], b[field]);
    if (c !== 0) return c;
  }
  return compareValues(a[plan.key], b[plan.key]);
}

/** Whether `row` is one `plan` reads, ignoring `limit` and `after`: its `where` prefix and `range` hold. */
export function planMatches(plan: QueryPlan, row: Row): boolean {
  // Per changed row of every live query: the i-th field of the index, then its key, unallocated.
  const { fields, key, prefix } = plan;
  const at = (i: number) => (i < fields.length ? (fields[i] as string) : key);
  for (let i = 0; i < prefix.length; i++) {
    if (compareValues(row[at(i)], prefix[i]) !== 0) return false;
  }
  const range = plan.range;
  if (range === undefined) return true;
  const value = row[at(prefix.length)];
  if (range.gt !== undefined && compareValues(value, range.gt) <= 0) return false;
  if (range.gte !== undefined && compareValues(value, range.gte) < 0) return false;
  if (range.lt !== undefined && compareValues(value, range.lt) >= 0) return false;
  if (range.lte !== undefined && compareValues(value, range.lte) > 0) return false;
  return true;
}

/** Whether `row` comes strictly after the cursor `after` in `plan`'s direction. */
export function pastCursor(plan: QueryPlan, row: Row): boolean {
  if (plan.after === undefined) return true;
  const c = compareByPlan(plan, row, plan.after);
  return plan.direction === 'asc' ? c > 0 : c < 0;
}

/**
 * The reference semantics every store must equal: filter, sort, skip to the cursor, slice.
 * Stores do it through their indexes; tests compare them with this.
 */
export function runPlanOn(plan: QueryPlan, rows: Iterable<Row>): Row[] {
  const sign = plan.direction === 'asc' ? 1 : -1;
  const found = [...rows].filter((row) => planMatches(plan, row) && pastCursor(plan, row));
  found.sort((a, b) => sign * compareByPlan(plan, a, b));
  return plan.limit === undefined ? found : found.slice(0, plan.limit);
}

/** The JSON value order of every index (see the module comment). */
export function compareValues(a: unknown, b: unknown): number {
  // Keys and most index fields are strings: their order without ranking the types first.
  if (typeof a === 'string' && typeof b === 'string') return a === b ? 0 : a < b ? -1 : 1;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 2) return (a as number) - (b as number);
  if (ra === 3) return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  if (ra === 1) return Number(a) - Number(b);
  if (ra === 4) {
    const ja = canonicalJson(a);
    const jb = canonicalJson(b);
    return ja < jb ? -1 : ja > jb ? 1 : 0;
  }
  return 0;
}

/** 0 missing/null, 1 boolean, 2 number, 3 string, 4 anything else. */
export function typeRank(value: unknown): number {
  if (value === undefined || value === null) return 0;
  switch (typeof value) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'string':
      return 3;
    default:
      return 4;
  }
}

function orderOf(orderBy: OrderBy | undefined): { field: string | undefined; direction: Direction } {
  if (orderBy === undefined) return { field: undefined, direction: 'asc' };
  if (typeof orderBy === 'string') return { field: orderBy, direction: 'asc' };
  return { field: orderBy.field, direction: orderBy.direction ?? 'asc' };
}

function describe(where: ReadonlyArray<string>, order: string | undefined, range: RangeBounds | undefined): string {
  const parts = [`where [${where}]`];
  if (range !== undefined) parts.push('with a range');
  if (order !== undefined) parts.push(`ordered by ${order}`);
  return parts.join(' ');
}

function quoted(fields: ReadonlyArray<string>): string {
  return fields.map((f) => `'${f}'`).join(', ');
}

/**
 * How `find(table, where)` reads (equality on any fields, sorted by key): through the declared
 * index whose longest prefix `where` fixes, the other fields filtered among those rows. A
 * non-empty `where` that fixes no index's first field throws, naming the index to declare.
 */
export function planFind(
  defs: TableDefs,
  table: string,
  where: Readonly<Record<string, unknown>>,
): { plan: QueryPlan; residual: string[]; keyOrder: boolean } {
  const def = defs[table];
  if (!def) throw new QueryError(`unknown table ${table}`);
  const fields = Object.keys(where);
  let best: ReadonlyArray<string> = [];
  let covered = 0;
  if (fields.includes(def.key))
    covered = -1; // the key itself: at most one row
  else {
    for (const index of declaredIndexes(def)) {
      let n = 0;
      while (n < index.length && Object.hasOwn(where, index[n] as string)) n++;
      if (n > covered) {
        best = index;
        covered = n;
      }
    }
    if (covered === 0 && fields.length > 0) {
      throw new QueryError(
        `table ${table}: no declared index serves where [${fields}]; declare indexes: [[${quoted(fields)}]]`,
      );
    }
  }
  const prefixFields = covered === -1 ? [def.key] : best.slice(0, covered);
  const plan: QueryPlan = {
    table,
    fields: covered === -1 ? [] : best,
    key: def.key,
    prefix: prefixFields.map((f) => where[f]),
    range: undefined,
    direction: 'asc',
    limit: undefined,
    after: undefined,
  };
  return {
    plan,
    residual: fields.filter((f) => !prefixFields.includes(f)),
    keyOrder: covered <= 0 || covered === best.length,
  };
}

/** `ctx.first` (`edge: 'first'`) and `ctx.last`: one row from either end of `query`, read straight off the index. */
export function edgeRow(
  reader: { scan(plan: QueryPlan): Iterable<Row> },
  defs: TableDefs,
  table: string,
  query: TableQuery | undefined,
  edge: 'first' | 'last',
): Row | undefined {
  for (const row of reader.scan(planQuery(defs, table, query, edge))) return row;
  return undefined;
}
