import {
  canonicalJson,
  declaredIndexes,
  indexName,
  type QueryPlan,
  type Row,
  type TableDefs,
} from '../../shared/index.ts';

/**
 * How the IndexedDB storage keeps the query model's ordered indexes natively. Each stored row
 * carries, under one multi-entry index, one array key per index of its table (the declared ones
 * and the key index): `[table, scope, indexName, tag₁, value₁, …, tagₙ, valueₙ, tagₖ, key]`. IndexedDB
 * orders array keys element by element, so one key range reads a `where` prefix, a `range` and
 * a cursor in index order, forwards or backwards, with a limit, touching only the rows returned.
 *
 * Values become `(tag, value)` pairs because null and booleans are not valid IndexedDB keys:
 * null 0, booleans 1 (0/1), numbers 2, strings 3, other JSON 4 (its canonical text), the same
 * order as `compareValues`. No entry holds an array below its top level, so `[]`, which sorts
 * after every number and string, bounds "everything that starts with this prefix".
 */
export type IndexKey = unknown[];

/** The index entries of one row: one per index of its table. */
export function indexKeys(tables: TableDefs, table: string, scope: string, row: Row): IndexKey[] {
  const def = tables[table];
  if (!def) return [];
  const key = row[def.key];
  const keys: IndexKey[] = [pushValue([table, scope, indexName([])], key)];
  for (const fields of declaredIndexes(def)) {
    const entry: unknown[] = [table, scope, indexName(fields)];
    for (const field of fields) pushValue(entry, row[field]);
    keys.push(pushValue(entry, key));
  }
  return keys;
}

/** The key range `plan` reads, or null when it is empty. `cmp` is IndexedDB's key order. */
export function planRange(
  plan: QueryPlan,
  scope: string,
  cmp: (a: unknown, b: unknown) => number,
): { lower: IndexKey; lowerOpen: boolean; upper: IndexKey; upperOpen: boolean } | null {
  const prefix: unknown[] = [plan.table, scope, indexName(plan.fields)];
  for (const value of plan.prefix) pushValue(prefix, value);
  let lower: { key: IndexKey; open: boolean } = { key: prefix, open: false };
  let upper: { key: IndexKey; open: boolean } = { key: [...prefix, []], open: false };
  const tighterLower = (key: IndexKey, open: boolean) => {
    const c = cmp(key, lower.key);
    if (c > 0 || (c === 0 && open)) lower = { key, open };
  };
  const tighterUpper = (key: IndexKey, open: boolean) => {
    const c = cmp(key, upper.key);
    if (c < 0 || (c === 0 && open)) upper = { key, open };
  };
  const at = (value: unknown) => pushValue([...prefix], value);
  const r = plan.range;
  if (r?.gte !== undefined) tighterLower(at(r.gte), false);
  if (r?.gt !== undefined) tighterLower([...at(r.gt), []], false);
  if (r?.lte !== undefined) tighterUpper([...at(r.lte), []], false);
  if (r?.lt !== undefined) tighterUpper(at(r.lt), true);
  if (plan.after !== undefined) {
    const cursor: unknown[] = [plan.table, scope, indexName(plan.fields)];
    for (const field of plan.fields) pushValue(cursor, plan.after[field]);
    pushValue(cursor, plan.after[plan.key]);
    if (plan.direction === 'asc') tighterLower(cursor, true);
    else tighterUpper(cursor, true);
  }
  const c = cmp(lower.key, upper.key);
  if (c > 0 || (c === 0 && (lower.open || upper.open))) return null;
  return { lower: lower.key, lowerOpen: lower.open, upper: upper.key, upperOpen: upper.open };
}

function pushValue(entry: unknown[], value: unknown): unknown[] {
  if (value === undefined || value === null) entry.push(0, 0);
  else if (typeof value === 'boolean') entry.push(1, value ? 1 : 0);
  else if (typeof value === 'number') entry.push(2, value);
  else if (typeof value === 'string') entry.push(3, value);
  else entry.push(4, canonicalJson(value));
  return entry;
}
