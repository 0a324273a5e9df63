import {
  type AnyApp,
  type CommandArgs,
  type CommandName,
  planQuery,
  type Row,
  type RowOf,
  type TableName,
} from '../../shared/index.ts';
import type { CommandState, CommandUpdate } from '../base/index.ts';
import {
  argsAsJson,
  type Clock,
  type Execution,
  reportError,
  type Submitted,
  systemClock,
  toExecution,
} from '../base/index.ts';
import { type LiveDiff, LiveQueries, type Query, runQuery } from '../query/index.ts';
import type { ClientStorage, RejectedRecord } from '../storage/index.ts';
import { describeStorageError, StorageWriter } from '../storage/index.ts';
import type { Transport } from '../sync/index.ts';
import { INITIAL_STATUS, StatusStore, SyncLoop, type SyncOptions, type SyncStatus } from '../sync/index.ts';
import { CommandLifecycle } from './command-lifecycle.ts';
import { LazyScopes } from './lazy-scopes.ts';
import { Outbox, outboxRecord, type PendingCommand, upcastRecord } from './outbox.ts';
import { runCommand } from './rebase.ts';
import { rebuildOutdatedScopes } from './rebuild-projections.ts';
import { type EngineCore, engineHost, markStatus, Reconciler } from './reconciler.ts';
import { type FeedBatch, RowFeed } from './row-feed.ts';
import { loadScopeStates } from './scope-state.ts';
import { durableWhenConfirmed, openingStatus, reportStorageFailures, undurableRefuser } from './storage-failures.ts';

export interface EngineOptions<A extends AnyApp> {
  readonly app: A;
  readonly storage: ClientStorage;
  readonly transport: Transport;
  /** The scopes to sync and serve queries from (plus any scope the outbox still writes). */
  readonly scopes: ReadonlyArray<string>;
  /** Start the sync loop at open (default true); tests may drive it later with `startSync()`. */
  readonly sync?: boolean;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** The client id and the ids `execute` gives its commands; defaults to `crypto.randomUUID()`. */
  readonly newId?: () => string;
  readonly syncOptions?: Omit<SyncOptions, 'clock' | 'random'>;
  /**
   * Set (to the reason) when `storage` is the in-memory fallback because IndexedDB could not be
   * opened: status shows `storage: 'memory'`, and `durable` waits for the server.
   */
  readonly memoryFallback?: string;
  /** Asked once loaded: did this client's earlier database vanish (`clientId` is new)? See `openClientStorage`. */
  readonly storageLost?: (clientId: string) => Promise<boolean>;
  /**
   * Open with no scope's rows (lazy-scopes.ts): a scope loads (and its pending commands are
   * rebased) when a command, a live query, a row feed or the sync loop first needs it, and
   * `read` serves it from storage meanwhile, with its pending commands' overlay
   * (first-read.ts). The tab engine opens lazy; `query` (synchronous) then throws for a scope
   * not loaded yet. Default false: every scope is loaded at open.
   */
  readonly lazy?: boolean;
}

/**
 * The client engine (DESIGN §3): commands run at once against memory, the outbox is written by
 * group commit, and the sync loop settles commands with the server. Every public method takes
 * and returns plain data or callbacks, so it crosses any carrier (engine-protocol.ts) unchanged.
 *
 * @example
 * const engine = await Engine.open({ app, storage, transport, scopes: ['board:b1'] });
 * const { applied, confirmed } = engine.execute('addCard', { boardId: 'b1', cardId: 'c1', columnId: 'todo', title: 'Hi' });
 * engine.subscribe({ table: 'cards', where: { columnId: 'todo' } }, (cards) => render(cards));
 */
export class Engine<A extends AnyApp = AnyApp> {
  readonly clientId: string;
  readonly #core: EngineCore;
  readonly #storage: ClientStorage;
  readonly #sync: SyncLoop;
  readonly #newId: () => string;
  /** The in-memory fallback: nothing is durable before the server has it. */
  readonly #memoryOnly: boolean;
  readonly #refuse: (command: PendingCommand, error: unknown) => void;
  #closed = false;
  readonly #feeds = new Set<RowFeed>();
  readonly #lazy: LazyScopes;

  static async open<A extends AnyApp>(options: EngineOptions<A>): Promise<Engine<A>> {
    const newId = options.newId ?? (() => crypto.randomUUID());
    const { app, storage } = options;
    const lazy = options.lazy === true;
    const loaded = await storage.load({ scopes: options.scopes, newClientId: newId, lazy });
    // After an app upgrade: kept commands in the current form, rows rebuilt by the current projections.
    const outbox = loaded.outbox.map((record) => upcastRecord(app, record));
    const scopes = [...options.scopes, ...outbox.map((command) => command.scope)];
    const stored = await rebuildOutdatedScopes(app, storage, { ...loaded, outbox }, scopes);
    // Lazy: no scope's rows are read now, not even those with pending commands (each is
    // rebased when it loads, and read meanwhile over its stored rows: lazy-scopes.ts).
    const inMemory = lazy ? new Set<string>() : undefined;
    const persisted = await storage.persist().catch(() => false);
    const lost = (await options.storageLost?.(stored.clientId).catch(() => false)) ?? false;
    return new Engine(options, stored, persisted, lost, inMemory);
  }

  private constructor(
    options: EngineOptions<A>,
    stored: Awaited<ReturnType<ClientStorage['load']>>,
    persisted: boolean,
    lost: boolean,
    inMemory: ReadonlySet<string> | undefined,
  ) {
    const { app } = options;
    const clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    this.clientId = stored.clientId;
    this.#storage = options.storage;
    this.#newId = options.newId ?? (() => crypto.randomUUID());
    const outbox = new Outbox(stored.lastSeq, stored.outbox);
    const scopes = loadScopeStates(app, [...options.scopes, ...stored.outbox.map((c) => c.scope)], stored, inMemory);
    this.#memoryOnly = options.memoryFallback !== undefined;
    const status = new StatusStore({
      ...INITIAL_STATUS,
      pending: outbox.size,
      persisted,
      ...markStatus(scopes.values()),
      ...openingStatus(options.memoryFallback, lost, clock.now()),
    });
    const writer = new StorageWriter(options.storage, {
      clock,
      random,
      ...reportStorageFailures(status, clock),
    });
    const live = new LiveQueries({
      tables: app.tables,
      run: (query) => this.#read(query),
      readerOf: (scope) => scopes.get(scope)?.overlay,
      scopes: () => [...scopes.keys()],
    });
    const lifecycle = new CommandLifecycle(stored.settled);
    this.#core = { app, clientId: stored.clientId, scopes, outbox, writer, lifecycle, live, status, clock };
    // A pending command of a scope not loaded is pushed once the scope loads: at once when
    // online; offline, the first pull loads it (`prepare`), so a reopen offline loads nothing.
    const reconciler = new Reconciler({
      ...engineHost(this.#core),
      load: (scope) => {
        if (status.get().online) this.#loadForPush(scope);
      },
    });
    this.#lazy = new LazyScopes(app, options.storage, scopes, live, {
      closed: () => this.#closed,
      pending: (scope) => outbox.inScope(scope),
      rebase: (scope) => {
        reconciler.rebase(scope);
        this.#sync.pushSoon(); // its commands may push now, whoever loaded it
      },
    });
    reconciler.rebaseAll(); // what the last session left pending, onto what it confirmed
    this.#refuse = undurableRefuser(this.#core, () => reconciler.rebaseAll());
    this.#sync = new SyncLoop(options.transport, reconciler, {
      clock,
      random,
      ...options.syncOptions,
      // Confirmed events apply to a scope's rows in memory: load them first.
      prepare: (scope) => this.#lazy.load([scope]),
    });
    if (options.sync !== false) this.#sync.start();
  }

  /**
   * Runs a command now; see `Execution`. On a scope not loaded yet (a lazy engine), it waits
   * for the scope's rows to load, then runs: `applied` resolves after that.
   */
  execute<N extends CommandName<A>>(name: N, args: CommandArgs<A, N>): Execution {
    const scope = this.#lazy.scopeOfCommand(name, args);
    if (scope === null || this.#lazy.unloaded([scope]).length === 0)
      return toExecution((listener) => this.submit(this.#newId(), name, args, listener));
    const id = this.#newId();
    const later = new Promise<Execution>((resolve) =>
      this.#lazy.whenLoaded(
        scope,
        () => resolve(toExecution((listener) => this.submit(id, name, args, listener))),
        (error) => resolve(toExecution(() => ({ ok: false, id, ...describeStorageError(error) }))),
      ),
    );
    const stage = (pick: (execution: Execution) => Promise<void>) => {
      const promise = later.then(pick);
      promise.catch(() => undefined); // as `toExecution` marks them: awaiting still throws
      return promise;
    };
    return {
      id,
      applied: stage((e) => e.applied),
      durable: stage((e) => e.durable),
      confirmed: stage((e) => e.confirmed),
    };
  }

  /**
   * Calls `run` once the scope a command targets is loaded, so `submit` can run it there: now
   * when it is (or when the command is refused anyway), else in the task that loads it, in the
   * order asked, before anything else sees the loaded rows (lazy-scopes.ts). `failed` when
   * its rows cannot be read.
   */
  whenScopeLoaded(name: string, args: unknown, run: () => void, failed: (error: unknown) => void): void {
    const scope = this.#lazy.scopeOfCommand(name, args);
    if (scope === null) run();
    else this.#lazy.whenLoaded(scope, run, failed);
  }

  /** A pending command waits for its scope's rows to be pushed (reconciler.ts): load them (the load pushes). */
  #loadForPush(scope: string): void {
    this.#lazy.load([scope]).catch((error: unknown) => {
      if (!this.#closed) reportError(error);
    });
  }

  /** Loads these scopes' rows into memory (lazy-scopes.ts); at once for scopes loaded already. */
  load(scopes: ReadonlyArray<string>): Promise<void> {
    return this.#lazy.load(scopes);
  }

  /**
   * `execute` as plain data: runs the command now under `id` (chosen by the caller: the page
   * that executed it knows it at once) and reports its later stages to `listener`. A command
   * rejected locally (unknown, invalid args, its handler rejects) takes no seq and never
   * reaches the outbox.
   */
  submit(
    id: string,
    name: string,
    args: unknown,
    listener?: (update: CommandUpdate) => void,
    givenAt?: number,
  ): Submitted {
    const { app, scopes, outbox, writer, lifecycle, live, status, clock } = this.#core;
    if (this.#closed) return { ok: false, id, code: 'closed', message: 'the engine is closed' };
    const json = argsAsJson(args);
    if (!json.ok) return { ok: false, id, code: json.code, message: json.message };
    // A page that ran the command already (its replica) gives its time, so both runs agree.
    const at = givenAt ?? clock.now();
    let unloaded: string | null = null;
    const run = runCommand(app, { id, name, args: json.value, at }, (scope) => {
      const state = scopes.get(scope);
      if (state?.loaded !== false) return state?.overlay;
      unloaded = scope; // its rows are still in storage: running it here would read nothing
      return undefined;
    });
    if (unloaded !== null) {
      const message = `the scope ${unloaded} is not loaded yet: await load() first, or use execute()`;
      return { ok: false, id, code: 'scope_not_loaded', message };
    }
    if (!run.ok) return { ok: false, id, code: run.code, message: run.message };
    const command: PendingCommand = {
      id,
      seq: outbox.nextSeq(),
      name,
      args: json.value,
      at,
      scope: run.scope,
      baseSeq: scopes.get(run.scope)?.cursor ?? 0,
      digest: run.digest,
      version: app.version,
      runDigest: run.digest,
      durable: false,
      answeredThrough: null,
    };
    outbox.add(command);
    if (listener) lifecycle.track(id, this.#memoryOnly ? durableWhenConfirmed(listener) : listener);
    writer.append(outboxRecord(command)).then(
      () => {
        command.durable = true; // pushable; in memory only, `durable` waits for the server
        if (!this.#memoryOnly) lifecycle.durable(id);
        this.#sync.pushSoon();
      },
      (error: unknown) => {
        if (this.#closed) lifecycle.abandon(id, `not durable: ${describeStorageError(error).message}`);
        else this.#refuse(command, error); // storage failed it: refused, its effect undone
      },
    );
    live.changed(run.scope, run.rows);
    status.update({ pending: outbox.size });
    return { ok: true, id, seq: command.seq };
  }

  /**
   * The rows of one table over the optimistic state, as plain frozen objects. Throws for a
   * scope not loaded yet (a lazy engine): `read` serves those.
   */
  query<N extends TableName<A['tables']>>(query: Query<A['tables'], N>): RowOf<A['tables'], N>[] {
    const unloaded = this.#lazy.unloaded(this.#lazy.scopesOf(query as Query));
    if (unloaded.length > 0) throw new Error(`weft: the scopes ${unloaded} are not loaded yet: use read()`);
    return this.#read(query as Query) as RowOf<A['tables'], N>[];
  }

  /**
   * `query`, whether or not its scopes are loaded: a scope not loaded yet is read from storage
   * through the declared indexes (and stays unloaded).
   */
  read<N extends TableName<A['tables']>>(query: Query<A['tables'], N>): Promise<RowOf<A['tables'], N>[]> {
    return this.#lazy.read(query as Query, (q) => this.#read(q)) as Promise<RowOf<A['tables'], N>[]>;
  }

  /**
   * Calls `callback` with the rows now, then each time they change; returns the unsubscribe.
   * Over a scope not loaded yet, the first rows come from storage (a task later) while the
   * scope loads, and the loaded result follows only if it differs (lazy-scopes.ts).
   */
  subscribe<N extends TableName<A['tables']>>(
    query: Query<A['tables'], N>,
    callback: (rows: RowOf<A['tables'], N>[], diff: LiveDiff) => void,
  ): () => void {
    const given = callback as (rows: Row[], diff: LiveDiff) => void;
    if (this.#lazy.unloaded(this.#lazy.scopesOf(query as Query)).length > 0) {
      this.#check(query as Query); // throws now on a bad query, not later
      return this.#lazy.subscribe(query as Query, (q) => this.#read(q), given);
    }
    this.#read(query as Query); // throws now on a bad query, not later in a microtask
    return this.#core.live.subscribe(query as Query, given);
  }

  /**
   * Sends every row of `scopes` (a reset batch) to `listener` now, then each change of them
   * (row-feed.ts): what a page's replica mirrors. Returns the stop.
   */
  feed(scopes: ReadonlyArray<string>, listener: (batch: FeedBatch) => void): () => void {
    if (this.#lazy.unloaded(scopes).length === 0) return this.#startFeed(scopes, listener);
    // A replica mirrors whole scopes: load them, then start (the reset batch has every row).
    let stop: (() => void) | null = null;
    let stopped = false;
    this.#lazy.load(scopes).then(
      () => {
        if (!stopped && !this.#closed) stop = this.#startFeed(scopes, listener);
      },
      (error: unknown) => {
        if (!this.#closed) reportError(error);
      },
    );
    return () => {
      stopped = true;
      stop?.();
    };
  }

  #startFeed(scopes: ReadonlyArray<string>, listener: (batch: FeedBatch) => void): () => void {
    const { app, scopes: states, live } = this.#core;
    const feed = new RowFeed(scopes, app.tables, (scope) => states.get(scope)?.overlay, listener);
    feed.start(this.#core.outbox.all().map((command) => command.id));
    this.#feeds.add(feed);
    const detach = live.observe(feed);
    return () => {
      feed.stop();
      this.#feeds.delete(feed);
      detach();
    };
  }

  /** Sends what every feed has collected: done before a submit is answered (see FeedBatch). */
  flushFeeds(): void {
    for (const feed of this.#feeds) feed.flush();
  }

  status(): SyncStatus {
    return this.#core.status.get();
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    return this.#core.status.subscribe(listener);
  }

  /** Calls `listener` for each command the server rejects from now on. */
  onRejected(listener: (rejection: RejectedRecord) => void): () => void {
    return this.#core.lifecycle.onRejected(listener);
  }

  /** The rejection inbox: every rejection not yet dismissed, this session's and earlier ones. */
  rejections(): RejectedRecord[] {
    return this.#core.lifecycle.rejections();
  }

  async dismiss(ids: ReadonlyArray<string>): Promise<void> {
    this.#core.lifecycle.dismiss(ids);
    await this.#core.writer.write({ dismiss: ids });
  }

  commandState(id: string): CommandState {
    return this.#core.lifecycle.state(id, this.#core.outbox.get(id) !== undefined);
  }

  /**
   * Reports the later stages of a command submitted earlier, maybe by another session of this
   * client (a tab whose leader changed), to `listener`; returns its state now. A settled
   * command is reported at once; an unknown one (never submitted, lost before it was durable,
   * or its record pruned or dismissed) is not reported at all.
   */
  watch(id: string, given: (update: CommandUpdate) => void): CommandState {
    const { lifecycle, outbox } = this.#core;
    const state = this.commandState(id);
    const listener = this.#memoryOnly ? durableWhenConfirmed(given) : given;
    if (state === 'pending') {
      if (outbox.get(id)?.durable && !this.#memoryOnly) listener({ id, stage: 'durable' });
      lifecycle.track(id, listener);
    } else if (state === 'confirmed') {
      listener({ id, stage: 'confirmed' });
    } else if (state === 'rejected') {
      const record = lifecycle.rejections().find((rejection) => rejection.id === id);
      if (record) listener({ id, stage: 'rejected', code: record.code, message: record.message });
    }
    return state;
  }

  /** The commands not yet settled, oldest first; `failing` when they fail on the current state. */
  pending(): Array<{
    id: string;
    seq: number;
    name: string;
    args: unknown;
    scope: string;
    durable: boolean;
    failing: boolean;
  }> {
    return this.#core.outbox.all().map(({ id, seq, name, args, scope, durable, runDigest }) => ({
      id,
      seq,
      name,
      args,
      scope,
      durable,
      failing: runDigest === null,
    }));
  }

  /** The platform's connectivity hint: going online retries at once. */
  setOnline(online: boolean): void {
    this.#sync.setOnline(online);
  }

  startSync(): void {
    if (!this.#closed) this.#sync.start();
  }

  /** Resolves once every write asked for so far (commands, confirmations) has committed. */
  flush(): Promise<void> {
    return this.#core.writer.idle();
  }

  /** Stops syncing, commits what is queued, and closes storage. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sync.close();
    await this.#core.writer.close();
    await this.#storage.close();
  }

  #check(query: Query): void {
    const { app } = this.#core;
    if (!Object.hasOwn(app.tables, query.table)) throw new TypeError(`unknown table ${query.table}`);
    const { table, scope: _, ...tableQuery } = query;
    planQuery(app.tables, table, tableQuery);
  }

  #read(query: Query) {
    const { app, scopes } = this.#core;
    if (!Object.hasOwn(app.tables, query.table)) throw new TypeError(`unknown table ${query.table}`);
    return runQuery(app.tables, query, [...scopes.keys()], (scope) => scopes.get(scope)?.overlay);
  }
}
