import type { Row, TableDefs, TableReader } from '../../shared/index.ts';
import { type ChangedRow, DirtyRows } from '../query/index.ts';

/**
 * The leader's optimistic rows of some scopes, as changes: what a page's replica mirrors
 * (page-replica.ts). Never a query result: a first batch (`reset`) with every row of the scopes,
 * then only the rows that changed, read at flush time (so a row changed twice travels once).
 *
 * Invariant (what the page relies on to drop its own commands from its overlay): the engine
 * flushes its feeds before it answers a `submit`, so every change a command made reaches a
 * feed before the answer that says it ran, over the same ordered channel.
 */
export interface FeedBatch {
  /** The receiver drops what it held of these batch's scopes first (first batch, re-attach). */
  readonly reset: boolean;
  /** Whole tables of a scope, replacing what the receiver held of them. */
  readonly tables: ReadonlyArray<{ readonly scope: string; readonly table: string; readonly rows: Row[] }>;
  /**
   * With a reset: the commands (ids) the leader holds pending, whose effects the rows already
   * include. A page drops them from its overlay rather than apply them twice (a leader change).
   */
  readonly included?: ReadonlyArray<string>;
  /** Rows put (`row`) or deleted (`null`). */
  readonly rows: ReadonlyArray<{
    readonly scope: string;
    readonly table: string;
    readonly key: string;
    readonly row: Row | null;
  }>;
}

/**
 * One listener's feed on the engine: collects the rows the engine's writers report (the same
 * reports live queries get), and sends them in one batch per microtask or at `flush`.
 */
export class RowFeed {
  readonly #scopes: ReadonlySet<string>;
  readonly #tables: TableDefs;
  readonly #readerOf: (scope: string) => TableReader | undefined;
  readonly #send: (batch: FeedBatch) => void;
  readonly #dirty = new DirtyRows();
  #scheduled = false;
  #stopped = false;

  constructor(
    scopes: ReadonlyArray<string>,
    tables: TableDefs,
    readerOf: (scope: string) => TableReader | undefined,
    send: (batch: FeedBatch) => void,
  ) {
    this.#scopes = new Set(scopes);
    this.#tables = tables;
    this.#readerOf = readerOf;
    this.#send = send;
  }

  /** Sends every row of the feed's scopes, as a reset; `included`: see `FeedBatch`. */
  start(included: ReadonlyArray<string>): void {
    const tables: Array<{ scope: string; table: string; rows: Row[] }> = [];
    for (const scope of this.#scopes) {
      const reader = this.#readerOf(scope);
      for (const table of Object.keys(this.#tables)) tables.push({ scope, table, rows: reader?.query(table) ?? [] });
    }
    this.#send({ reset: true, tables, rows: [], included: [...included] });
  }

  changed(scope: string, rows: Iterable<ChangedRow>): void {
    if (!this.#scopes.has(scope)) return;
    this.#dirty.changed(scope, rows);
    this.#schedule();
  }

  invalidate(scope: string, tables: Iterable<string>): void {
    if (!this.#scopes.has(scope)) return;
    this.#dirty.invalidate(scope, tables);
    this.#schedule();
  }

  /** Sends what changed since the last batch, if anything. */
  flush(): void {
    if (this.#dirty.empty || this.#stopped) return;
    const dirty = this.#dirty.take();
    const tables: Array<{ scope: string; table: string; rows: Row[] }> = [];
    const rows: Array<{ scope: string; table: string; key: string; row: Row | null }> = [];
    for (const [scope, changes] of dirty) {
      const reader = this.#readerOf(scope);
      for (const [table, keys] of changes) {
        if (keys === 'all') tables.push({ scope, table, rows: reader?.query(table) ?? [] });
        else for (const key of keys) rows.push({ scope, table, key, row: reader?.get(table, key) ?? null });
      }
    }
    this.#send({ reset: false, tables, rows });
  }

  stop(): void {
    this.#stopped = true;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.flush();
    });
  }
}
