import {
  type AnyApp,
  type CommandRecord,
  executeCommand,
  MemoryTables,
  OverlayTables,
  type ResolvedCommand,
  type Row,
  type ScanReader,
  type TableReader,
} from '../../shared/index.ts';
import type { FeedBatch } from '../engine/index.ts';
import { type LiveDiff, LiveQueries, type Query, runQuery, sameRows } from '../query/index.ts';

/**
 * The page's replica (issue 16): the rows of the scopes this page reads, so `execute` runs here
 * (the same `executeCommand` as the worker and the server) and `applied` and live queries are
 * decided in the same task, with no message in between. The leader's engine stays the one
 * writer and the source of truth; the replica is a view of it:
 *
 *   view(scope) = mirror(scope) (the leader's optimistic rows, from its row feed)
 *                 + overlay of this page's commands the leader has not answered yet, in order.
 *
 * Invariants:
 * - The leader sends a command's row changes before it answers it (row-feed.ts), so when its
 *   answer arrives (`settle`) the mirror already holds its effect, as the leader ran it.
 * - A command the leader ran as this page did is dropped without a re-run: the keys it wrote
 *   (those no later pending command also wrote) read the same in the mirror. Any difference
 *   (the leader rejected it, or wrote otherwise, or another writer changed a row only the
 *   overlay still shadows) re-runs the remaining pending commands over the mirror: the replica
 *   corrects itself.
 * - With nothing pending the view is the mirror exactly.
 */
export class PageReplica {
  readonly #app: AnyApp;
  readonly #scopes: ReadonlyArray<string>;
  readonly #states = new Map<string, ScopeReplica>();
  readonly live: LiveQueries;
  #loaded: () => void = () => undefined;
  /** Resolves once the leader's first rows of every scope of the page arrived. */
  readonly loaded: Promise<void>;

  constructor(app: AnyApp, scopes: ReadonlyArray<string>) {
    this.#app = app;
    this.#scopes = [...scopes];
    this.loaded = new Promise((resolve) => {
      this.#loaded = resolve;
    });
    this.live = new LiveQueries({
      tables: app.tables,
      run: (query) => this.#read(query),
      readerOf: (scope) => this.#states.get(scope)?.view,
      scopes: () => this.#scopes,
    });
  }

  /** Every scope of the page has its rows: queries and commands on them are served here. */
  get ready(): boolean {
    return this.#states.size === new Set(this.#scopes).size;
  }

  /** This query reads only scopes the replica holds. */
  serves(query: Query): boolean {
    return this.ready && (query.scope === undefined || this.#states.has(query.scope));
  }

  /** This query reads only scopes of the page: the replica serves it once `loaded`. */
  holds(query: Query): boolean {
    return query.scope === undefined || this.#scopes.includes(query.scope);
  }

  subscribe(query: Query, callback: (rows: Row[], diff: LiveDiff) => void): () => void {
    return this.live.subscribe(query, callback);
  }

  /**
   * Runs `record` on the view of its scope. `null`: the leader decides alone (the replica does
   * not hold that scope, or the handler refused on the replica's rows, which may lag the
   * leader's); otherwise the run's outcome, and on success its effect is visible.
   */
  run(
    record: CommandRecord,
    resolved?: ResolvedCommand,
  ): { ok: true; pending: PendingRun } | { ok: false; code: string; message: string } | null {
    let state: ScopeReplica | undefined;
    const run = runOn(
      this.#app,
      record,
      (scope) => {
        state = this.#states.get(scope);
        return state?.view;
      },
      resolved,
    );
    // Refused whatever the rows (unknown command, bad args): refused here as the engine would.
    // Refused by the handler on these rows: the leader decides, as the replica may lag it.
    if (!run.ok) return run.scope === null ? run : null;
    if (!state) return null; // a scope the replica does not hold: the leader runs it alone
    const pending: PendingRun = { record, scope: run.scope, writes: new Map(), settled: false };
    for (const { table, key } of run.rows) pending.writes.set(cellOf(table, key), state.view.get(table, key));
    state.track(pending);
    this.live.changed(run.scope, run.rows);
    return { ok: true, pending };
  }

  /** Takes one batch of the leader's row feed into the mirror. */
  receive(batch: FeedBatch): void {
    const touched = new Set<ScopeReplica>();
    if (batch.reset) {
      const scopes = new Set(batch.tables.map((t) => t.scope));
      // Commands this leader already holds (a new leader loaded them): in its rows, not again here.
      const included = new Set(batch.included ?? []);
      for (const scope of scopes) {
        const state = new ScopeReplica(this.#app, new MemoryTables(this.#app.tables));
        const old = this.#states.get(scope);
        if (old) for (const run of old.pending) if (!included.has(run.record.id)) state.pending.push(run);
        this.#states.set(scope, state);
        touched.add(state);
        state.stale = true;
      }
    }
    for (const { scope, table, rows } of batch.tables) {
      const state = this.#states.get(scope);
      if (!state) continue;
      const mirror = state.mirror;
      for (const row of mirror.query(table)) mirror.delete(table, row[this.#keyField(table)] as string);
      for (const row of rows) mirror.put(table, row);
      if (!batch.reset && state.pending.length > 0) state.stale = true;
      this.live.invalidate(scope, [table]);
      touched.add(state);
    }
    const changed = new Map<string, Array<{ table: string; key: string }>>();
    for (const { scope, table, key, row } of batch.rows) {
      const state = this.#states.get(scope);
      if (!state) continue;
      if (row === null) state.mirror.delete(table, key);
      else state.mirror.put(table, row);
      // A row the overlay shadows with a write no pending command stands behind is stale there.
      if (state.pending.length > 0 && !state.stale) {
        const cell = cellOf(table, key);
        if (state.shadowed.has(cell) && !state.writers.has(cell)) state.stale = true;
      }
      let list = changed.get(scope);
      if (!list) {
        list = [];
        changed.set(scope, list);
      }
      list.push({ table, key });
      touched.add(state);
    }
    for (const [scope, rows] of changed) this.live.changed(scope, rows);
    for (const state of touched) if (state.stale) this.#rebuild(state);
    if (batch.reset && this.ready) this.#loaded();
  }

  /**
   * The leader answered this page's command: ran it (`ok`) or refused it. Its effect is now in
   * the mirror (or nowhere); it leaves the overlay.
   */
  settle(run: PendingRun, ok: boolean): void {
    if (run.settled) return;
    run.settled = true;
    const state = this.#states.get(run.scope);
    if (!state) return;
    const at = state.pending.indexOf(run);
    if (at < 0) return;
    state.pending.splice(at, 1);
    state.untrack(run);
    if (state.pending.length === 0) {
      this.#rebuild(state); // nothing pending: the view is the mirror again
      return;
    }
    let same = ok && at === 0;
    if (same) {
      for (const [cell, row] of run.writes) {
        if (state.writers.has(cell)) continue; // a later pending command wrote it: its answer checks it
        const [table, key] = splitCell(cell);
        const mirrored = state.mirror.get(table, key);
        if (!sameRow(mirrored, row)) {
          same = false;
          break;
        }
      }
    }
    if (!same) this.#rebuild(state);
  }

  /** Re-runs the scope's pending commands over its mirror (a fresh overlay); live queries re-read. */
  #rebuild(state: ScopeReplica): void {
    const before = state.shadowed;
    state.reset();
    for (const run of state.pending) {
      const result = runOn(this.#app, run.record, () => state.view);
      run.writes = new Map();
      // One that now fails here stays pending, with no effect: the leader's answer settles it.
      if (result.ok)
        for (const { table, key } of result.rows) run.writes.set(cellOf(table, key), state.view.get(table, key));
      state.track(run, false);
    }
    const cells = new Set([...before, ...state.shadowed]);
    if (cells.size > 0) {
      const scope = this.#scopeOf(state);
      if (scope !== undefined) {
        this.live.changed(
          scope,
          [...cells].map((cell) => {
            const [table, key] = splitCell(cell);
            return { table, key };
          }),
        );
      }
    }
  }

  #scopeOf(state: ScopeReplica): string | undefined {
    for (const [scope, candidate] of this.#states) if (candidate === state) return scope;
    return undefined;
  }

  #keyField(table: string): string {
    const def = this.#app.tables[table];
    if (!def) throw new TypeError(`unknown table ${table}`);
    return def.key;
  }

  #read(query: Query): Row[] {
    if (!Object.hasOwn(this.#app.tables, query.table)) throw new TypeError(`unknown table ${query.table}`);
    return runQuery(
      this.#app.tables,
      query,
      this.#scopes,
      (scope): TableReader | undefined => this.#states.get(scope)?.view,
    );
  }
}

/**
 * Runs `record` over the view of its scope (`EMPTY` when the replica does not hold it) and, when
 * it succeeds there, layers its writes onto that view. Like the engine's `runCommand`, without
 * the run's digest: only the leader's run is compared with the server's.
 */
function runOn(
  app: AnyApp,
  record: CommandRecord,
  viewOf: (scope: string) => OverlayTables | undefined,
  resolved?: ResolvedCommand,
):
  | { ok: true; scope: string; rows: Array<{ table: string; key: string }> }
  | { ok: false; scope: string | null; code: string; message: string } {
  let target: OverlayTables | undefined;
  const result = executeCommand(
    app,
    record,
    (scope) => {
      target = viewOf(scope);
      return target ?? EMPTY;
    },
    resolved,
  );
  if (!result.ok) return result;
  if (!target) return { ok: false, scope: result.scope, code: 'scope_not_synced', message: 'not on this page' };
  // `commitTo`, and the list of what it wrote, in one pass over the run's changes.
  const rows: Array<{ table: string; key: string }> = [];
  for (const { table, key, row } of result.writes.changes()) {
    rows.push({ table, key });
    if (row) target.put(table, row);
    else target.delete(table, key);
  }
  return { ok: true, scope: result.scope, rows };
}

const EMPTY: ScanReader = { get: () => undefined, find: () => [], query: () => [], scan: () => [] };

/** A command the page ran and the leader has not answered yet: `run` returns it, `settle` takes it. */
export interface PendingRun {
  readonly record: CommandRecord;
  readonly scope: string;
  /** Each cell (table and key) the page's last run wrote, with what it wrote (`undefined`: deleted). */
  writes: Map<string, Row | undefined>;
  /** `settle` took it already (an answer comes once; a second is ignored). */
  settled: boolean;
}

/** One scope of the replica: the mirror, the overlay over it, and the page's pending commands there. */
class ScopeReplica {
  readonly #app: AnyApp;
  readonly mirror: MemoryTables;
  view: OverlayTables;
  readonly pending: PendingRun[] = [];
  /** Cell → how many pending commands wrote it. */
  readonly writers = new Map<string, number>();
  /** Every cell the overlay holds a write for (of pending commands, or answered ones not dropped yet). */
  shadowed = new Set<string>();
  /** The overlay may read differently from a re-run: rebuild it. */
  stale = false;

  constructor(app: AnyApp, mirror: MemoryTables) {
    this.#app = app;
    this.mirror = mirror;
    this.view = new OverlayTables(app.tables, mirror);
  }

  track(run: PendingRun, add = true): void {
    if (add) this.pending.push(run);
    for (const cell of run.writes.keys()) {
      this.writers.set(cell, (this.writers.get(cell) ?? 0) + 1);
      this.shadowed.add(cell);
    }
  }

  untrack(run: PendingRun): void {
    for (const cell of run.writes.keys()) {
      const count = (this.writers.get(cell) ?? 0) - 1;
      if (count > 0) this.writers.set(cell, count);
      else this.writers.delete(cell);
    }
  }

  /** A fresh overlay over the mirror, nothing tracked. */
  reset(): void {
    this.view = new OverlayTables(this.#app.tables, this.mirror);
    this.writers.clear();
    this.shadowed = new Set();
    this.stale = false;
  }
}

const SEPARATOR = '\u0000';
const cellOf = (table: string, key: string): string => `${table}${SEPARATOR}${key}`;
function splitCell(cell: string): [string, string] {
  const at = cell.indexOf(SEPARATOR);
  return [cell.slice(0, at), cell.slice(at + 1)];
}

function sameRow(a: Row | undefined, b: Row | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameRows([a], [b]);
}
