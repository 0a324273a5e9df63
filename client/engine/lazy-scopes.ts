import { type AnyApp, planQuery, type Row, validateSchema } from '../../shared/index.ts';
import { reportError } from '../base/index.ts';
import type { LiveDiff, LiveQueries } from '../query/index.ts';
import { mergeScopes, type Query, runQuery, sameRows } from '../query/index.ts';
import type { ClientStorage } from '../storage/index.ts';
import { readOverPending } from './first-read.ts';
import type { PendingCommand } from './outbox.ts';
import { fillScope, type ScopeState } from './scope-state.ts';

/**
 * Lazy scopes (issue 16, flat first paint). A lazy engine opens every scope unloaded: its
 * cursor and mark are known, its rows stay in IndexedDB, and the pending commands of a scope
 * are rebased when it loads (`rebase`, given by the engine). So opening costs the outbox, not
 * the stored history.
 *
 * A scope's rows are loaded into memory (`load`, once, shared by every caller) when:
 * - a command runs in it: `execute` (and the tab backend's `submit`) waits for the load, then
 *   runs the command; `applied` resolves after that. The commands that waited run in the order
 *   they came, in the task that completes the load, before anyone else sees the loaded rows;
 *   a `read` of a scope that commands wait for waits for them too (it reads what they did);
 * - a live query or a page's row feed needs it whole: the first result is read from storage
 *   through the declared indexes, the later ones from memory once loaded, and the loaded
 *   result is delivered only if it differs (a result never goes back);
 * - the sync loop is about to apply confirmed events to it (the first successful pull).
 * - online, the push loop is about to push one of its pending commands (reconciler.ts): the
 *   answer settles it against the scope's rows (offline, nothing loads it until the first
 *   pull: a reopen offline reads no scope whole).
 * A one-shot `read` of an unloaded scope is served by storage and loads nothing: with pending
 * commands, they are re-run over the stored rows read on demand (first-read.ts).
 *
 * Invariant: nothing writes an unloaded scope's state (new commands, confirmed events,
 * answers to its pending commands, feeds and live queries all wait for the load), so its
 * stored rows are its confirmed state, and its pending commands the same outbox records,
 * until it loads; and a loaded scope never unloads.
 */
export class LazyScopes {
  readonly #app: AnyApp;
  readonly #storage: ClientStorage;
  readonly #states: Map<string, ScopeState>;
  readonly #live: LiveQueries;
  readonly #loads = new Map<string, Promise<void>>();
  /** Per scope, what waits to run on its rows the moment they are loaded (commands), in order. */
  readonly #waiting = new Map<string, Array<{ run: () => void; failed: (error: unknown) => void }>>();

  /** The engine closed: a read failing then (storage closed under it) is no error to report. */
  readonly #closed: () => boolean;
  /** A scope's pending commands, in seq order. */
  readonly #pending: (scope: string) => ReadonlyArray<PendingCommand>;
  /** Rebases a scope's pending commands on its rows, just loaded. */
  readonly #rebase: (scope: string) => void;

  constructor(
    app: AnyApp,
    storage: ClientStorage,
    states: Map<string, ScopeState>,
    live: LiveQueries,
    hooks: {
      closed?: () => boolean;
      pending?: (scope: string) => ReadonlyArray<PendingCommand>;
      rebase?: (scope: string) => void;
    } = {},
  ) {
    this.#closed = hooks.closed ?? (() => false);
    this.#pending = hooks.pending ?? (() => []);
    this.#rebase = hooks.rebase ?? (() => undefined);
    this.#app = app;
    this.#storage = storage;
    this.#states = states;
    this.#live = live;
  }

  /** The scopes among these whose rows are not in memory yet (a scope not held has none to load). */
  unloaded(scopes: Iterable<string>): string[] {
    const list: string[] = [];
    for (const scope of new Set(scopes)) if (this.#states.get(scope)?.loaded === false) list.push(scope);
    return list;
  }

  /** The scopes a query reads: its own, or every scope held. */
  scopesOf(query: Query): string[] {
    return query.scope === undefined ? [...this.#states.keys()] : [query.scope];
  }

  /** The scope a command targets, or null when its name or args are refused (`submit` says why). */
  scopeOfCommand(name: string, args: unknown): string | null {
    try {
      const def = Object.hasOwn(this.#app.commands, name) ? this.#app.commands[name] : undefined;
      if (!def) return null;
      const checked = validateSchema(def.args, args);
      return checked.ok ? def.scope(checked.value) : null;
    } catch {
      return null;
    }
  }

  /**
   * Runs `run` on `scope`'s rows: now when they are in memory (or the scope is not held), else
   * in the task that loads them, before the load's promise resolves, after the runs that
   * waited before it. `failed` instead when they cannot be read.
   */
  whenLoaded(scope: string, run: () => void, failed: (error: unknown) => void): void {
    if (this.#states.get(scope)?.loaded !== false) {
      run();
      return;
    }
    const queue = this.#waiting.get(scope) ?? [];
    queue.push({ run, failed });
    this.#waiting.set(scope, queue);
    this.load([scope]).catch(() => undefined); // `failed` reports it
  }

  /** Loads these scopes' rows into memory; resolves once all are loaded. One read per scope, however many ask. */
  load(scopes: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const scope of this.unloaded(scopes)) {
      let load = this.#loads.get(scope);
      if (!load) {
        load = this.#loadOne(scope);
        this.#loads.set(scope, load);
        // A failed read (storage closed, lost) is tried again by the next caller.
        load.catch(() => this.#loads.delete(scope));
      }
      waits.push(load);
    }
    return waits.length === 0 ? Promise.resolve() : Promise.all(waits).then(() => undefined);
  }

  async #loadOne(scope: string): Promise<void> {
    const tables = Object.keys(this.#app.tables);
    let read: Row[][];
    try {
      read = await Promise.all(tables.map((table) => this.#storage.readRows(table, scope)));
    } catch (error) {
      const queue = this.#waiting.get(scope) ?? [];
      this.#waiting.delete(scope);
      for (const { failed } of queue) failed(error);
      throw error;
    }
    const state = this.#states.get(scope);
    if (!state || state.loaded) return;
    fillScope(
      this.#app,
      state,
      read.flatMap((rows, i) => rows.map((row) => ({ table: tables[i] as string, row }))),
    );
    this.#loads.delete(scope);
    // Its pending commands over its rows now, before anything reads them loaded.
    if (this.#pending(scope).length > 0) this.#rebase(scope);
    this.#live.invalidate(scope, tables);
    const queue = this.#waiting.get(scope) ?? [];
    this.#waiting.delete(scope);
    for (const { run } of queue) {
      try {
        run();
      } catch (error) {
        reportError(error);
      }
    }
  }

  /**
   * A one-shot query: from memory where the scopes are loaded, else from storage through the
   * declared indexes (the same query model, so the same rows in the same order).
   */
  async read(query: Query, memory: (query: Query) => Row[]): Promise<Row[]> {
    const scopes = this.scopesOf(query);
    const unloaded = this.unloaded(scopes);
    if (unloaded.length === 0) return memory(query);
    // Commands wait for a scope's rows: the rows they will write are what this read must show.
    const awaited = unloaded.filter((scope) => this.#waiting.has(scope));
    if (awaited.length > 0) {
      await this.load(awaited);
      return this.read(query, memory);
    }
    const { table, scope: _, ...tableQuery } = query;
    planQuery(this.#app.tables, table, tableQuery); // a bad query throws before any read
    const results = await Promise.all(
      scopes.map((scope) => {
        const state = this.#states.get(scope);
        if (state?.loaded !== false)
          return runQuery(this.#app.tables, { ...query, scope }, [scope], () => state?.overlay);
        const pending = this.#pending(scope);
        if (pending.length > 0) return this.#readPending({ ...query, scope }, pending, memory);
        return this.#storage.queryRows(table, scope, tableQuery).then((rows) => rows.map((row) => Object.freeze(row)));
      }),
    );
    return results.length === 1 ? (results[0] as Row[]) : mergeScopes(this.#app.tables, query, results);
  }

  /** One unloaded scope with pending commands: the stored rows with their overlay (first-read.ts). */
  async #readPending(
    query: Query & { readonly scope: string },
    pending: ReadonlyArray<PendingCommand>,
    memory: (query: Query) => Row[],
  ): Promise<Row[]> {
    const commands = pending.map(({ id, name, args, at }) => ({ id, name, args, at }));
    const rows = await readOverPending(this.#app, this.#storage, query, commands);
    // Loaded meanwhile: storage may have moved on since the first read, memory has it all.
    if (this.#states.get(query.scope)?.loaded !== false) return memory(query);
    if (rows !== null) return rows;
    await this.load([query.scope]);
    return memory(query);
  }

  /**
   * A live query over scopes not all loaded: the first result from storage, then, once they
   * are loaded, the live query in memory, delivered only when it differs from the last result
   * given (so loading never shows as a change, and a result never goes back to an older one).
   */
  subscribe(
    query: Query,
    memory: (query: Query) => Row[],
    callback: (rows: Row[], diff: LiveDiff) => void,
  ): () => void {
    const keyField = this.#app.tables[query.table]?.key ?? '';
    let stopped = false;
    let inner: (() => void) | null = null;
    let last: Row[] | null = null;
    const deliver = (rows: Row[], diff: LiveDiff) => {
      if (last !== null && sameRows(last, rows)) return;
      const before = last;
      last = rows;
      callback(rows, before === null ? diff : diffByKey(keyField, before, rows));
    };
    this.read(query, memory).then(
      (rows) => {
        if (!stopped && inner === null) deliver(rows, { removed: [], added: rows });
      },
      (error: unknown) => this.#report(error),
    );
    this.load(this.scopesOf(query)).then(
      () => {
        if (!stopped) inner = this.#live.subscribe(query, deliver);
      },
      (error: unknown) => this.#report(error),
    );
    return () => {
      stopped = true;
      inner?.();
    };
  }

  #report(error: unknown): void {
    if (!this.#closed()) reportError(error);
  }
}

/** What changed between two results of one query, by row key. */
function diffByKey(keyField: string, before: ReadonlyArray<Row>, after: ReadonlyArray<Row>): LiveDiff {
  const old = new Map(before.map((row) => [row[keyField], row]));
  const now = new Map(after.map((row) => [row[keyField], row]));
  const removed = before.filter((row) => {
    const next = now.get(row[keyField]);
    return next === undefined || !sameRows([row], [next]);
  });
  const added = after.filter((row) => {
    const prev = old.get(row[keyField]);
    return prev === undefined || !sameRows([prev], [row]);
  });
  return { removed, added };
}
