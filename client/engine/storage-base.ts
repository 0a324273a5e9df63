import {
  canonicalJson,
  findByScan,
  type QueryPlan,
  queryByScan,
  type Row,
  type ScanReader,
  type TableDefs,
  type TableQuery,
} from '../../shared/index.ts';
import type { ClientStorage } from '../storage/index.ts';

/**
 * A scope's confirmed rows as far as they have been read from storage: the base a not-loaded
 * scope's pending commands run over for a first read (first-read.ts). Reads are synchronous,
 * storage is not, so a read this base cannot answer yet is a miss: it answers "nothing" and
 * records what to fetch; `fetch` reads every miss from storage, and the caller runs again.
 *
 * Invariant: what it answers without a miss is exactly what the scope's stored rows answer
 * (a `get` is the stored row; a `scan` yields the stored rows of the plan in its order, a
 * prefix of them only when the reader stops before the end of what was fetched). So a run
 * with no miss read what it would have read over the loaded scope. This holds while the
 * stored rows do not change, which they do not while the scope is unloaded (lazy-scopes.ts).
 */
export class StorageBase implements ScanReader {
  readonly #defs: TableDefs;
  readonly #keys = new Map<string, Map<string, Row | null>>();
  readonly #scans = new Map<string, { rows: Row[]; complete: boolean }>();
  readonly #misses = new Map<string, Miss>();
  /**
   * How many rows to fetch first for a scan with no limit (an overlay drops a query's limit
   * when it shadows rows of the table); undefined reads them all.
   */
  hint: number | undefined;

  constructor(defs: TableDefs) {
    this.#defs = defs;
  }

  /** Whether a read since the last `fetch` could not be answered. */
  get missed(): boolean {
    return this.#misses.size > 0;
  }

  get(table: string, key: string): Row | undefined {
    const known = this.#keys.get(table)?.get(key);
    if (known !== undefined) return known ?? undefined;
    this.#misses.set(`g\u0000${table}\u0000${key}`, { kind: 'get', table, key });
    return undefined;
  }

  find(table: string, where: Readonly<Record<string, unknown>> = {}): Row[] {
    return findByScan(this.#defs, table, where, (plan) => this.scan(plan));
  }

  query(table: string, query?: TableQuery): Row[] {
    return queryByScan(this.#defs, table, query, (plan) => this.scan(plan));
  }

  *scan(plan: QueryPlan): Generator<Row, void, undefined> {
    const id = canonicalJson({ ...plan, limit: undefined });
    const known = this.#scans.get(id);
    const limit = plan.limit ?? Number.POSITIVE_INFINITY;
    let at = 0;
    if (known) for (; at < known.rows.length && at < limit; at++) yield known.rows[at] as Row;
    if (at >= limit || known?.complete) return;
    // Read past what was fetched: fetch more (the reader stopped here, so it sees nothing more).
    const want = plan.limit ?? (at > 0 ? at * 2 : this.hint);
    const missed = this.#misses.get(id);
    if (missed?.kind !== 'scan' || (missed.want !== undefined && (want === undefined || want > missed.want)))
      this.#misses.set(id, { kind: 'scan', id, plan, want });
  }

  /** Reads every miss from `scope`'s stored rows (one read per table for the keys, in parallel); the next run sees them. */
  async fetch(storage: ClientStorage, scope: string): Promise<void> {
    const misses = [...this.#misses.values()];
    this.#misses.clear();
    const keys = new Map<string, string[]>();
    const scans: Array<Extract<Miss, { kind: 'scan' }>> = [];
    for (const miss of misses) {
      if (miss.kind === 'scan') scans.push(miss);
      else keys.set(miss.table, [...(keys.get(miss.table) ?? []), miss.key]);
    }
    await Promise.all([
      ...[...keys].map(async ([table, wanted]) => {
        const rows = await storage.getRows(table, scope, wanted);
        wanted.forEach((key, i) => {
          this.#remember(table, key, rows[i] ?? null);
        });
      }),
      ...scans.map(async ({ id, plan, want }) => {
        const rows = (await storage.queryRows(plan.table, scope, tableQueryOf({ ...plan, limit: want }))).map((row) =>
          Object.freeze(row),
        );
        for (const row of rows) this.#remember(plan.table, row[plan.key] as string, row);
        const known = this.#scans.get(id);
        if (known && known.rows.length > rows.length) return; // a larger read came first
        this.#scans.set(id, { rows, complete: want === undefined || rows.length < want });
      }),
    ]);
  }

  #remember(table: string, key: string, row: Row | null): void {
    let rows = this.#keys.get(table);
    if (!rows) {
      rows = new Map();
      this.#keys.set(table, rows);
    }
    rows.set(key, row === null ? null : Object.freeze(row));
  }
}

type Miss =
  | { readonly kind: 'get'; readonly table: string; readonly key: string }
  | { readonly kind: 'scan'; readonly id: string; readonly plan: QueryPlan; readonly want: number | undefined };

/**
 * The `TableQuery` that plans to `plan` (the storage port takes queries, not plans): its
 * index, its `where` prefix in index order (the key last when the prefix covers it), its
 * range, direction, limit and cursor.
 */
export function tableQueryOf(plan: QueryPlan): TableQuery {
  const fields = [...plan.fields, plan.key];
  const where: Record<string, unknown> = {};
  plan.prefix.forEach((value, i) => {
    where[fields[i] as string] = value;
  });
  return {
    index: [...plan.fields],
    where,
    ...(plan.range === undefined ? {} : { range: plan.range }),
    orderBy: { direction: plan.direction },
    ...(plan.limit === undefined ? {} : { limit: plan.limit }),
    ...(plan.after === undefined ? {} : { after: plan.after }),
  };
}
