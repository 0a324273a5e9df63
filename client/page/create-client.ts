import * as v from 'valibot';
import {
  type AnyApp,
  type CommandArgs,
  type CommandName,
  type ResolvedCommand,
  type Row,
  type RowOf,
  resolveCommand,
  type TableName,
  validateSchema,
} from '../../shared/index.ts';
import type { ClientStatus, EngineApi } from '../api/index.ts';
import type { CommandUpdate } from '../base/index.ts';
import {
  argsAsJson,
  ClosedError,
  CommandError,
  deferred,
  type Execution,
  laterStages,
  plainJsonCopy,
  reportError,
  toExecution,
} from '../base/index.ts';
import { type Query, sameRows } from '../query/index.ts';
import type { RejectedRecord } from '../storage/index.ts';
import { clientInput, InvalidInputError } from './client-input.ts';
import type { CommandTrace } from './command-trace.ts';
import { type Port, type PortOptions, workerPort } from './engine-port.ts';
import { PageReplica, type PendingRun } from './page-replica.ts';

export interface ClientOptions {
  /** The weft server's base URL, e.g. `https://sync.example.com`. */
  readonly url: string;
  /** The scopes to sync and query, e.g. `['board:b1']`. */
  readonly scopes: ReadonlyArray<string>;
  /** The bearer token (`'demo:alice'`), or a function that returns the current one. */
  readonly auth?: string | (() => string | Promise<string>);
  /** The IndexedDB database: one client per name and browser profile, shared by its tabs. */
  readonly dbName: string;
  /**
   * The module worker whose file calls `exposeWeftWorker(app)` from `weft/client/worker` (or a
   * function making it). The client owns it from then on and terminates it on `close()`. To run
   * the engine on the page's own thread instead, use `createInlineClient` from
   * `weft/client/worker`.
   */
  readonly worker: Worker | (() => Worker);
}

const OptionsSchema = v.object({
  url: v.pipe(v.string('url must be the weft server base URL'), v.minLength(1, 'url must not be empty')),
  scopes: v.array(v.pipe(v.string(), v.minLength(1)), 'scopes must be an array of scope names'),
  auth: v.optional(v.union([v.string(), v.function()], 'auth must be a token or a function returning one')),
  dbName: v.pipe(v.string('dbName must name the IndexedDB database'), v.minLength(1, 'dbName must not be empty')),
});

/** Checks what the app passes `createClient`: a readable `InvalidInputError`, never a hang later. */
export function checkClientOptions(options: unknown): PortOptions {
  const checked = v.safeParse(OptionsSchema, options);
  if (!checked.success) {
    const issue = checked.issues[0];
    throw new InvalidInputError(`weft: createClient options: ${issue.message}`);
  }
  return options as PortOptions;
}

/** The main-thread API of one client (DESIGN §3). Every method takes and returns plain data. */
export interface WeftClient<A extends AnyApp = AnyApp> {
  /**
   * Runs a command now, offline or online. `applied`: its effect is visible to queries;
   * `durable`: it survives a crash; `confirmed`: the server accepted it. Each rejects with a
   * `CommandError` (`code`, `message`) when the command is refused, locally or by the server.
   */
  execute<N extends CommandName<A>>(name: N, args: CommandArgs<A, N>): Execution;
  /** The rows of one projection table now, over the optimistic state. */
  query<N extends TableName<A['tables']>>(query: Query<A['tables'], N>): Promise<RowOf<A['tables'], N>[]>;
  /**
   * Calls `callback` with the whole result right away, then after each change of it (never
   * with an unchanged result). Returns the unsubscribe. A bad query throws `InvalidInputError`.
   */
  subscribe<N extends TableName<A['tables']>>(
    query: Query<A['tables'], N>,
    callback: (rows: RowOf<A['tables'], N>[]) => void,
  ): () => void;
  /**
   * Resolves once this page holds the rows of its scopes in memory (its replica, asked for at
   * the page's first command, live query or this call): from then on a command on them
   * applies in the same task. Until then (the first paint) queries are read
   * from IndexedDB, and a command waits for its scope's rows to load in the leader's engine.
   * Nothing needs it for correctness; it is there for a "ready" indicator, or a benchmark.
   */
  loaded(): Promise<void>;
  /** The sync state now: online, syncing, pending, lastError, leader, persisted. */
  status(): ClientStatus;
  /** Calls `listener` with the status now, then after each change; returns the unsubscribe. */
  onStatus(listener: (status: ClientStatus) => void): () => void;
  /** Calls `listener` for each command the server rejects from now on (in any tab of this client). */
  onRejected(listener: (rejection: RejectedRecord) => void): () => void;
  /** The rejection inbox: every rejection not yet dismissed, from this session and earlier ones. */
  rejections(): Promise<RejectedRecord[]>;
  /** Removes rejections from the inbox, for every tab. */
  dismiss(ids: ReadonlyArray<string>): Promise<void>;
  /**
   * Takes this client off the network (`false`: nothing is sent, commands stay pending) and
   * back (`true`: syncs at once). Kept across reloads, for every tab of the client.
   */
  setOnline(online: boolean): Promise<void>;
  /**
   * Calls `listener` with each step of every command executed through this client from now on
   * (executed, applied, durable, confirmed, rejected), each with the time it was seen; returns
   * the unsubscribe. For tools and logging: with no listener, `execute` does no extra work.
   */
  onCommand(listener: (trace: CommandTrace) => void): () => void;
  /**
   * Leaves: a leader tab commits what is queued and hands the engine to another tab. Whatever
   * is still unanswered then settles: `applied`, `durable` and `confirmed` of the commands not
   * yet there reject with a `CommandError` of code `closed` (the commands stay in the outbox and
   * are sent by the next session), queries and other calls with a `ClosedError`. Every call
   * made later rejects (or, for `subscribe`, throws) the same way at once.
   */
  close(): Promise<void>;
}

/**
 * Opens a client of `app`; resolves once the engine (in this tab's worker or in the leader
 * tab) has opened its storage, so every query from then on sees at least all durable local
 * state. It does not wait for the page's replica to hold its scopes' rows (flat first paint):
 * until then, `query` and a live query's first result are read from IndexedDB through the
 * declared indexes, and a command waits for its scope's rows to load in the leader's engine,
 * then runs there (`applied` resolves after that). Once the rows are loaded, live queries
 * move to the replica in memory, with no repeated or older result (lazy-scopes.ts).
 *
 * @example
 * const weft = await createClient(kanban, {
 *   url: 'http://localhost:8787',
 *   scopes: ['board:b1'],
 *   auth: 'demo:alice',
 *   dbName: 'weft:kanban',
 *   worker: new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module' }),
 * });
 * const { applied, confirmed } = weft.execute('addCard', { boardId: 'b1', cardId: 'c1', columnId: 'todo', title: 'Hi' });
 * const stop = weft.subscribe({ table: 'cards', where: { columnId: 'todo' }, orderBy: 'rank' }, render);
 */
export async function createClient<A extends AnyApp>(app: A, options: ClientOptions): Promise<WeftClient<A>> {
  const checked = checkClientOptions(options);
  const { worker } = options;
  if (typeof worker !== 'function' && !(typeof Worker !== 'undefined' && worker instanceof Worker)) {
    throw new InvalidInputError(
      'weft: createClient needs `worker`, a module Worker whose file calls exposeWeftWorker(app) (weft/client/worker); use createInlineClient from weft/client/worker to run the engine on this thread',
    );
  }
  return clientOn(app, await workerPort(typeof worker === 'function' ? worker() : worker, checked));
}

/** `clientOn`, resolved once the page's replica holds the leader's rows of its scopes. */
export async function clientOnLoaded<A extends AnyApp>(app: A, port: Port): Promise<WeftClient<A>> {
  const { client } = openClient(app, port);
  await client.loaded();
  return client;
}

/** The client API over an opened engine port (in a worker, or on this thread). */
export function clientOn<A extends AnyApp>(app: A, port: Port): WeftClient<A> {
  return openClient(app, port).client;
}

function openClient<A extends AnyApp>(app: A, port: Port): { client: WeftClient<A> } {
  const input = clientInput(app);
  // The page's replica (page-replica.ts): commands on its scopes run here, `applied` and live
  // queries are decided in this task; the leader's row feed keeps it equal to the engine.
  const { engine } = port;
  const replica =
    port.scopes && port.scopes.length > 0 && Object.keys(app.tables).length > 0
      ? new PageReplica(app, port.scopes)
      : null;
  // Asked for when the page first needs its rows whole (a command, a live query, `loaded()`):
  // a page that only reads once loads no scope (lazy-scopes.ts, flat first paint).
  let stopFeed: (() => void) | null = null;
  const startFeed = () => {
    if (replica && !stopFeed && !closed) stopFeed = engine.feed(port.scopes ?? [], (batch) => replica.receive(batch));
  };
  let current: ClientStatus = port.initial;
  const statusListeners = new Set<(status: ClientStatus) => void>();
  const stopStatus = engine.onStatus((status) => {
    current = status;
    for (const listener of statusListeners) safely(listener, status);
  });
  let closed = false;
  const traceListeners = new Set<(trace: CommandTrace) => void>();
  const trace = (step: CommandTrace) => {
    for (const listener of traceListeners) safely(listener, step);
  };
  /** Calls not answered yet, each with its reject. */
  const calls = new Set<(error: ClosedError) => void>();
  /** A port call that `close()` settles if the port never answers it. */
  const guard = <T>(call: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new ClosedError());
    return new Promise<T>((resolve, reject) => {
      const settle = (error: ClosedError) => reject(error);
      calls.add(settle);
      call().then(
        (value) => {
          calls.delete(settle);
          resolve(value);
        },
        (error: unknown) => {
          calls.delete(settle);
          reject(closed ? new ClosedError() : error);
        },
      );
    });
  };

  const client: WeftClient<AnyApp> = {
    execute(name, args) {
      const id = crypto.randomUUID();
      // Plain JSON args (the usual case) are validated once, by the run's own resolve, on a
      // copy equal to them: they pass the client's check exactly when they pass that one.
      const fast = closed ? null : resolvePlain(app, replica, name, args);
      const checked = closed
        ? ({ ok: false, code: 'closed', message: 'the client is closed' } as const)
        : fast
          ? ({ ok: true, value: { name: name as string, args } } as const)
          : input.command(name, args);
      if (!checked.ok) return toExecution(() => ({ ...checked, id }));
      startFeed();
      const traced = traceListeners.size > 0;
      if (traced) {
        const { name: checkedName, args: checkedArgs } = checked.value;
        trace({
          id,
          stage: 'executed',
          at: Date.now(),
          name: checkedName,
          args: checkedArgs,
          scope: scopeOf(app, checkedName, checkedArgs),
        });
      }
      const applied = deferred();
      const at = Date.now();
      // Run on the replica when it holds the command's scope: decided here, now.
      let local: { ok: true; pending: PendingRun } | { ok: false; code: string; message: string } | null = null;
      if (fast && replica) {
        local = replica.run({ id, name: checked.value.name, args: fast.json, at }, fast.resolved);
      } else if (replica?.ready) {
        const json = argsAsJson(checked.value.args);
        local = json.ok
          ? replica.run({ id, name: checked.value.name, args: json.value, at })
          : { ok: false, code: json.code, message: json.message };
      }
      if (local && !local.ok) {
        // Refused as the engine would refuse it (the same run on the same rows): never sent.
        const refused = local;
        if (traced) trace({ id, stage: 'rejected', at: Date.now(), code: refused.code, message: refused.message });
        const execution = toExecution(() => ({ ...refused, id }));
        execution.applied.catch(() => undefined);
        // Marked handled like the engine's answer was: awaiting it still throws.
        applied.reject(new CommandError(refused.code, refused.message));
        return { ...execution, applied: applied.promise };
      }
      // Resolved behind the live queries' flush, unless `close()` came first in this task: then
      // it settles as closed with the rest (the command never reached the engine).
      if (local) queueMicrotask(() => !closed && applied.resolve());
      if (traced) {
        applied.promise.then(
          () => trace({ id, stage: 'applied', at: Date.now() }),
          () => undefined, // the rejection is traced where it is decided
        );
      }
      const stages = laterStages();
      // The command's later stages, from the engine; at `close()` the port ends it as `closed`.
      const listener = (update: CommandUpdate) => {
        if (update.stage === 'rejected') applied.reject(new CommandError(update.code, update.message)); // no-op once applied
        if (traced) trace({ ...update, at: Date.now() });
        stages.update(update);
      };
      engine.submit(id, checked.value.name, checked.value.args, listener, { at, soon: local !== null }).then(
        (accepted) => {
          // The leader's rows of it arrived first: it leaves the replica's overlay.
          if (local?.ok) replica?.settle(local.pending, accepted.ok);
          if (accepted.ok) applied.resolve();
          else listener({ id, stage: 'rejected', code: accepted.code, message: accepted.message });
        },
        (error: unknown) => {
          if (local?.ok) replica?.settle(local.pending, false);
          if (closed) return; // the port ended it as closed
          listener({
            id,
            stage: 'rejected',
            code: 'internal',
            message: error instanceof Error ? error.message : String(error),
          });
        },
      );
      // `applied`: decided by the replica, or else by the engine's answer (ran, or refused there).
      return { id, applied: applied.promise, durable: stages.durable, confirmed: stages.confirmed };
    },
    async query(query) {
      // The leader answers (it holds every command this page sent before): the source of truth,
      // and a query it cannot answer settles as closed at `close()`. Live queries use the replica.
      const checked = input.query(query);
      return (await guard(() => engine.query(checked))) as never;
    },
    subscribe(query, callback) {
      if (closed) throw new ClosedError();
      const checkedQuery = input.query(query);
      startFeed();
      if (replica?.serves(checkedQuery))
        return subscribeReplica(replica, checkedQuery, callback as (rows: Row[]) => void);
      if (replica?.holds(checkedQuery))
        return subscribeUntilLoaded(engine, replica, checkedQuery, callback as (rows: Row[]) => void);
      return engine.subscribe(checkedQuery, (rows) => safely(callback as (rows: Row[]) => void, rows));
    },
    loaded() {
      startFeed();
      return replica ? guard(() => replica.loaded) : Promise.resolve();
    },
    status: () => current,
    onStatus(listener) {
      statusListeners.add(listener);
      safely(listener, current);
      return () => statusListeners.delete(listener);
    },
    onRejected(listener) {
      if (closed) return () => undefined;
      const unsubscribe = engine.onRejected((rejection) => safely(listener, rejection));
      return () => void unsubscribe();
    },
    rejections: () => guard(() => engine.rejections()),
    dismiss: (ids) => guard(() => engine.dismiss([...ids])),
    setOnline: (online) => guard(() => engine.setOnline(online)),
    onCommand(listener) {
      traceListeners.add(listener);
      return () => traceListeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        stopFeed?.();
        stopStatus();
        // Commits what is queued: stages reached by then are reported first, then the port ends
        // every command still unsettled as `closed`.
        await port.close();
      } finally {
        const closedError = new ClosedError();
        for (const reject of [...calls]) reject(closedError);
        calls.clear();
      }
    },
  };
  return { client: client as WeftClient<A> };
}

/**
 * A live query on the replica. The first result is delivered in a microtask, as it was when it
 * came from the engine, so a callback may use the unsubscribe `subscribe` returned.
 */
function subscribeReplica(replica: PageReplica, query: Query, callback: (rows: Row[]) => void): () => void {
  let started = false;
  let stopped = false;
  let latest: Row[] = [];
  const stop = replica.subscribe(query, (rows) => {
    latest = rows;
    if (started && !stopped) safely(callback, rows);
  });
  queueMicrotask(() => {
    started = true;
    if (!stopped) safely(callback, latest);
  });
  return () => {
    stopped = true;
    stop();
  };
}

/**
 * A live query of the page's scopes before its replica holds their rows: served by the leader
 * (from IndexedDB while its engine has not loaded them, lazy-scopes.ts) until the replica is
 * loaded, then by the replica. A result equal to the last one given is not given again, so the
 * switch shows only if the rows differ; results the leader sends after the switch are dropped
 * (the replica's feed, on the same channel, already brought what they say).
 */
function subscribeUntilLoaded(
  engine: EngineApi,
  replica: PageReplica,
  query: Query,
  callback: (rows: Row[]) => void,
): () => void {
  let stopped = false;
  let onReplica = false;
  let last: Row[] | null = null;
  let stopReplica: (() => void) | null = null;
  const deliver = (rows: Row[]) => {
    if (stopped || (last !== null && sameRows(last, rows))) return;
    last = rows;
    safely(callback, rows);
  };
  const stopLeader = engine.subscribe(query, (rows) => {
    if (!onReplica) deliver(rows);
  });
  void replica.loaded.then(() => {
    if (stopped) return;
    onReplica = true;
    stopLeader();
    stopReplica = replica.subscribe(query, deliver);
  });
  return () => {
    stopped = true;
    if (onReplica) stopReplica?.();
    else stopLeader();
  };
}

/**
 * The command resolved (args valid, scope computed) on a JSON copy of plain-JSON args, when the
 * page's replica will run it; `null` when the usual path must decide (not plain JSON, invalid,
 * or no replica ready), so every refusal keeps its one wording.
 */
function resolvePlain(
  app: AnyApp,
  replica: PageReplica | null,
  name: unknown,
  args: unknown,
): { json: unknown; resolved: ResolvedCommand } | null {
  if (!replica?.ready || typeof name !== 'string' || !Object.hasOwn(app.commands, name)) return null;
  const copy = plainJsonCopy(args);
  if (copy === undefined) return null;
  const resolved = resolveCommand(app, name, copy.value);
  return resolved.ok ? { json: copy.value, resolved } : null;
}

/** The scope a command targets, as its definition computes it; `null` when that throws. */
function scopeOf(app: AnyApp, name: string, args: unknown): string | null {
  try {
    const def = app.commands[name];
    if (!def) return null;
    const checked = validateSchema(def.args, args);
    return checked.ok ? def.scope(checked.value) : null;
  } catch {
    return null;
  }
}

function safely<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    reportError(error);
  }
}
