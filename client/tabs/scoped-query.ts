import type { Row, TableDefs } from '../../shared/index.ts';
import type { EngineApi } from '../api/index.ts';
import { mergeScopes, type Query, sameRows } from '../query/index.ts';

/**
 * A tab's reads when its leader's engine syncs more scopes than the tab opened with (other
 * tabs joined with other scopes): a query without `scope` reads the tab's own scopes only, as
 * it would with an engine of its own. `scopes` null means the engine syncs no scope beyond the
 * tab's, and the query goes through unchanged. With several scopes, each is read on its own
 * and the results are merged as the engine merges scopes (index order, ties by scope, then `limit`).
 */
export function scopedQuery(
  backend: EngineApi,
  query: Query,
  scopes: ReadonlyArray<string> | null,
  tables: TableDefs,
): Promise<Row[]> {
  const parts = split(query, scopes);
  if (!parts) return backend.query(query);
  return Promise.all(parts.map((part) => backend.query(part))).then((results) => merge(tables, query, results));
}

/** `subscribe` restricted the same way; calls back once every scope has answered, then on each change. */
export function scopedSubscribe(
  backend: EngineApi,
  query: Query,
  scopes: ReadonlyArray<string> | null,
  tables: TableDefs,
  callback: (rows: Row[]) => void,
): () => void {
  const parts = split(query, scopes);
  if (!parts) return backend.subscribe(query, callback);
  if (parts.length === 0) {
    callback([]);
    return () => undefined;
  }
  const results: Array<Row[] | undefined> = parts.map(() => undefined);
  let last: Row[] | null = null;
  const detach: Array<() => void> = [];
  parts.forEach((part, i) => {
    detach.push(
      backend.subscribe(part, (rows) => {
        results[i] = rows;
        if (results.some((result) => result === undefined)) return;
        const merged = merge(tables, query, results as Row[][]);
        if (last !== null && sameRows(last, merged)) return;
        last = merged;
        callback(merged);
      }),
    );
  });
  return () => {
    for (const stop of detach) stop();
  };
}

/** One query per scope (without `limit`, applied after the merge), or null when no restriction applies. */
function split(query: Query, scopes: ReadonlyArray<string> | null): Query[] | null {
  if (scopes === null || query.scope !== undefined) return null;
  if (scopes.length === 1) return [{ ...query, scope: scopes[0] as string }];
  const { limit: _limit, ...unlimited } = query;
  return scopes.map((scope) => ({ ...unlimited, scope }));
}

function merge(tables: TableDefs, query: Query, results: ReadonlyArray<Row[]>): Row[] {
  if (results.length === 1) return results[0] ?? [];
  // Each part is in index order already; merge them as the engine merges scopes, then limit.
  return mergeScopes(tables, query, results);
}
