import type { AnyApp, Row } from '../shared/index.ts';
import { type Accepted, type Backend, type ClientStatus, engineBackend } from './backend.ts';
import type { RejectedRecord } from './client-storage.ts';
import { ClosedError } from './closed-error.ts';
import type { CommandUpdate } from './command-lifecycle.ts';
import { deferred } from './deferred.ts';
import { Engine } from './engine.ts';
import { httpTransport } from './http-transport.ts';
import { LeaderService } from './leader.ts';
import { loadOnline, saveOnline } from './online-preference.ts';
import { openClientStorage } from './open-storage.ts';
import { type Query, sameRows } from './query.ts';
import { RemoteLeader } from './remote-leader.ts';
import { reportError } from './report-error.ts';
import { scopedQuery, scopedSubscribe } from './scoped-query.ts';
import { INITIAL_STATUS, type SyncStatus } from './status.ts';
import { switchableTransport } from './switchable-transport.ts';
import {
  channelName,
  type FromLeader,
  leaderLock,
  parseTabMessage,
  type TabMessage,
  tabLock,
} from './tabs-protocol.ts';

/** Where one client's engine syncs, and under which IndexedDB name it keeps its state. */
export interface SessionConfig {
  readonly url: string;
  readonly scopes: ReadonlyArray<string>;
  /** The bearer token, or a function returning the current one. */
  readonly auth?: string | (() => string | Promise<string>);
  /** One client per name and browser profile; the tabs that share it elect one leader. */
  readonly dbName: string;
}

/**
 * One tab's session of a client (DESIGN §3, tabs): exactly one session per `dbName` holds the
 * Web Lock and hosts the engine; the others forward to it over a BroadcastChannel. Every
 * subscription, listener and unsettled command is registered here, independent of the
 * backend, so when the leader changes (its tab closed, or this tab took over) they are all
 * re-attached to the new one and calls still unanswered are resent. The new leader opens the
 * engine from IndexedDB: durable commands keep their seqs, and commands the old leader never
 * made durable are run again by the tab that sent them.
 *
 * Tabs may open with different scopes: a tab whose scopes the leader's engine does not sync
 * asks for them (`hello` with its scopes), and the leader reopens its engine with the union,
 * which the followers see as a new leader. Each tab's queries without `scope` still read only
 * the scopes it opened with. Every message of the channel is validated; a malformed one is
 * reported (`TabMessageError`) and ignored.
 */
export class TabSession {
  readonly tabId: string = crypto.randomUUID();
  readonly #app: AnyApp;
  readonly #config: SessionConfig;
  readonly #channel: BroadcastChannel;
  readonly #subs = new Set<LocalSubscription>();
  readonly #commands = new Map<string, LocalCommand>();
  /** Calls not answered yet, each with its reject (they fail with `ClosedError` at `close()`). */
  readonly #ops = new Map<(backend: Backend) => void, (error: unknown) => void>();
  readonly #statusListeners = new Set<(status: ClientStatus) => void>();
  readonly #rejectedListeners = new Set<(rejection: RejectedRecord) => void>();
  readonly #bindings: Array<() => void> = [];
  readonly #ready = deferred();
  readonly #closing = deferred();
  readonly #abort = new AbortController();
  #backend: Backend | null = null;
  #remote: RemoteLeader | null = null;
  #service: LeaderService | null = null;
  #status: ClientStatus = { ...INITIAL_STATUS, leader: false };
  #leadDone: Promise<void> = Promise.resolve();
  #releaseTab: () => void = () => undefined;
  #closed = false;
  /** This tab holds the leader lock (its engine may be reopening). */
  #leading = false;
  /** What this tab's engine syncs while it leads: its own scopes, plus those other tabs asked for. */
  readonly #wanted: Set<string>;
  /** Resolved when a tab asked for a scope the engine does not sync: the engine reopens. */
  #rescope = deferred();
  /** The scopes the current leader's engine syncs; null when unknown (no leader yet). */
  #leaderScopes: ReadonlyArray<string> | null = null;
  /** The leader this tab asked to sync its scopes, so it asks each leader once. */
  #asked: string | null = null;

  /** Joins the client's tabs; resolves once an engine (here or in the leader tab) has opened its storage. */
  static async open(app: AnyApp, config: SessionConfig): Promise<TabSession> {
    const session = new TabSession(app, config);
    await session.#start();
    return session;
  }

  private constructor(app: AnyApp, config: SessionConfig) {
    this.#app = app;
    this.#config = config;
    this.#wanted = new Set(config.scopes);
    this.#channel = new BroadcastChannel(channelName(config.dbName));
    this.#channel.onmessage = (event: MessageEvent<unknown>) => this.#route(event.data);
    this.#channel.onmessageerror = () => reportError(new TypeError('weft: a tab message could not be deserialized'));
  }

  submit(id: string, name: string, args: unknown, listener: (update: CommandUpdate) => void): Promise<Accepted> {
    const command: LocalCommand = {
      id,
      name,
      args,
      durable: false,
      replied: false,
      listener: (update) => {
        if (update.stage === 'durable') command.durable = true;
        else this.#commands.delete(id);
        listener(update);
      },
    };
    this.#commands.set(id, command);
    return this.#call((backend) => backend.submit(id, name, args, command.listener, true)).then((accepted) => {
      command.replied = true;
      if (!accepted.ok) this.#commands.delete(id);
      return accepted;
    });
  }

  query(query: Query): Promise<Row[]> {
    return this.#call((backend) => scopedQuery(backend, query, this.#readScopes()));
  }

  /** Calls `callback` with the rows now (once a backend answers), then after each change of them. */
  subscribe(query: Query, callback: (rows: Row[]) => void): () => void {
    const sub: LocalSubscription = { query, callback, rows: null, detach: null };
    // Kept before attaching: the backend calls back with the first result synchronously.
    this.#subs.add(sub);
    if (this.#backend) {
      try {
        this.#attach(sub, this.#backend);
      } catch (error) {
        this.#subs.delete(sub); // a bad query throws here, and is not kept
        throw error;
      }
    }
    return () => {
      this.#subs.delete(sub);
      sub.detach?.();
    };
  }

  status(): ClientStatus {
    return this.#status;
  }

  onStatus(listener: (status: ClientStatus) => void): () => void {
    this.#statusListeners.add(listener);
    listener(this.#status);
    return () => this.#statusListeners.delete(listener);
  }

  onRejected(listener: (rejection: RejectedRecord) => void): () => void {
    this.#rejectedListeners.add(listener);
    return () => this.#rejectedListeners.delete(listener);
  }

  rejections(): Promise<RejectedRecord[]> {
    return this.#call((backend) => backend.rejections());
  }

  dismiss(ids: ReadonlyArray<string>): Promise<void> {
    return this.#call((backend) => backend.dismiss(ids));
  }

  setOnline(online: boolean): Promise<void> {
    return this.#call((backend) => backend.setOnline(online));
  }

  /**
   * Leaves the client's tabs: a leader closes its engine first (committing what is queued),
   * then hands the lock over. Calls still unanswered then reject with `ClosedError`, as do
   * calls made later.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#closing.resolve();
    await this.#leadDone;
    for (const detach of this.#bindings.splice(0)) detach();
    for (const sub of this.#subs) sub.detach?.();
    this.#subs.clear();
    this.#remote?.dispose();
    this.#channel.close();
    this.#releaseTab();
    const closed = new ClosedError();
    for (const reject of this.#ops.values()) reject(closed);
    this.#ops.clear();
    this.#ready.reject(closed);
  }

  async #start(): Promise<void> {
    const { dbName } = this.#config;
    // Hold this tab's own lock while it lives: the leader learns of its death when it is released.
    await new Promise<void>((granted) => {
      void navigator.locks.request(tabLock(dbName, this.tabId), () => {
        granted();
        return new Promise<void>((release) => {
          this.#releaseTab = release;
        });
      });
    });
    this.#leadDone = navigator.locks
      .request(leaderLock(dbName), { signal: this.#abort.signal }, () => this.#lead())
      .catch((error: unknown) => {
        if (!this.#closed) this.#ready.reject(error);
      });
    this.#post({ kind: 'hello', from: this.tabId, scopes: [...this.#config.scopes] });
    await this.#ready.promise;
  }

  /**
   * Holds the leader lock: opens the engine, serves the other tabs, until this session closes.
   * When a tab asks for scopes the engine does not sync, the engine closes and reopens with them,
   * announced as a new leader (`<tabId>/<epoch>`), so every follower re-attaches and resends.
   */
  async #lead(): Promise<void> {
    if (this.#closed) return;
    this.#leading = true;
    const { dbName } = this.#config;
    for (let epoch = 0; !this.#closed; epoch++) {
      const scopes = [...this.#wanted];
      const rescope = deferred();
      this.#rescope = rescope;
      const { engine, backend } = await this.#openEngine(scopes);
      this.#remote?.dispose();
      this.#remote = null;
      this.#leaderScopes = scopes;
      this.#service = new LeaderService(this.#channel, `${this.tabId}/${epoch}`, dbName, backend, scopes);
      this.#bind(backend);
      this.#service.start();
      await Promise.race([this.#closing.promise, rescope.promise]);
      this.#service.stop();
      this.#service = null;
      if (!this.#closed) {
        // Calls from now on wait for the reopened engine; those in flight are resent there.
        for (const detach of this.#bindings.splice(0)) detach();
        this.#backend = null;
      }
      await engine.close();
    }
  }

  async #openEngine(scopes: ReadonlyArray<string>): Promise<{ engine: Engine; backend: Backend }> {
    const { app, url, auth, dbName } = { app: this.#app, ...this.#config };
    const transport = switchableTransport(httpTransport({ url, ...(auth === undefined ? {} : { auth }) }));
    transport.setEnabled(await loadOnline(dbName));
    let chosenId: string | undefined;
    const engine = await Engine.open({
      app,
      // IndexedDB, or memory (flagged in status) where it cannot be opened.
      ...(await openClientStorage({ dbName, tables: app.tables })),
      transport,
      scopes,
      newId: () => {
        const id = chosenId ?? crypto.randomUUID();
        chosenId = undefined;
        return id;
      },
    });
    const backend = engineBackend(
      engine,
      transport,
      (id) => {
        chosenId = id;
      },
      (online) => saveOnline(dbName, online),
    );
    return { engine, backend };
  }

  /** Adds scopes a tab asked for to what the engine syncs; true when that reopens the engine. */
  #want(scopes: ReadonlyArray<string>): boolean {
    const fresh = scopes.filter((scope) => !this.#wanted.has(scope));
    if (fresh.length === 0) return false;
    for (const scope of fresh) this.#wanted.add(scope);
    this.#rescope.resolve();
    return true;
  }

  #route(data: unknown): void {
    if (this.#closed) return;
    const parsed = parseTabMessage(data);
    if (!parsed.ok) {
      reportError(parsed.error);
      return;
    }
    const message = parsed.message;
    if (this.#leading) {
      // The reopened engine announces itself to every tab, the one that asked included.
      if (message.kind === 'hello' && message.scopes && this.#want(message.scopes)) return;
      if (this.#service) {
        this.#service.handle(message);
        return;
      }
    }
    if (message.kind === 'leader') {
      if (!this.#leading) this.#follow(message);
      return;
    }
    if (isFromLeader(message)) this.#remote?.handle(message);
  }

  /** A leader announced itself: follow it, once its engine syncs every scope of this tab. */
  #follow(message: Extract<TabMessage, { kind: 'leader' }>): void {
    if (message.leader === this.#remote?.leader) return;
    const own = this.#config.scopes;
    const served = message.scopes;
    if (served && !own.every((scope) => served.includes(scope))) {
      if (this.#asked !== message.leader) {
        this.#asked = message.leader;
        this.#post({ kind: 'hello', from: this.tabId, scopes: [...own] });
      }
      return;
    }
    this.#leaderScopes = served ?? null;
    this.#remote?.dispose();
    this.#remote = new RemoteLeader((m) => this.#post(m), this.tabId, message.leader, message.status);
    this.#bind(this.#remote);
  }

  /** What this tab's unscoped queries read: its own scopes when the engine syncs others too, else null. */
  #readScopes(): ReadonlyArray<string> | null {
    const own = this.#config.scopes;
    const served = this.#leaderScopes;
    if (served === null || served.every((scope) => own.includes(scope))) return null;
    return own;
  }

  /** Moves every registration to `backend` and resends what the previous one left unanswered. */
  #bind(backend: Backend): void {
    for (const detach of this.#bindings.splice(0)) detach();
    this.#backend = backend;
    for (const sub of this.#subs) {
      try {
        this.#attach(sub, backend);
      } catch (error) {
        reportError(error);
      }
    }
    this.#bindings.push(
      backend.onStatus((status) => this.#setStatus(status)),
      backend.onRejected((rejection) => {
        for (const listener of this.#rejectedListeners) call(listener, rejection);
      }),
    );
    for (const command of this.#commands.values()) {
      if (!command.replied) continue; // its submit is an unanswered call, resent below
      void backend
        .submit(command.id, command.name, command.args, command.listener, !command.durable)
        .then((accepted) => {
          if (!accepted.ok)
            command.listener({ id: command.id, stage: 'rejected', code: accepted.code, message: accepted.message });
        }, reportError);
    }
    for (const op of [...this.#ops.keys()]) op(backend);
    this.#ready.resolve();
  }

  #attach(sub: LocalSubscription, backend: Backend): void {
    sub.detach?.();
    sub.detach = scopedSubscribe(backend, sub.query, this.#readScopes(), (rows) => {
      if (!this.#subs.has(sub) || this.#backend !== backend) return;
      if (sub.rows !== null && sameRows(sub.rows, rows)) return; // the new leader's first answer, unchanged
      sub.rows = rows;
      call(sub.callback, rows);
    });
  }

  #setStatus(status: SyncStatus): void {
    const next: ClientStatus = { ...status, leader: this.#leading };
    const prev = this.#status;
    const same = (Object.keys(next) as Array<keyof ClientStatus>).every((key) => next[key] === prev[key]);
    if (same) return;
    this.#status = next;
    for (const listener of this.#statusListeners) call(listener, next);
  }

  /** Runs `run` on the current backend, again on the next one if this one never answers. */
  #call<T>(run: (backend: Backend) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new ClosedError());
    return new Promise<T>((resolve, reject) => {
      const op = (backend: Backend) => {
        let answer: Promise<T>;
        try {
          answer = run(backend);
        } catch (error) {
          answer = Promise.reject(error); // e.g. args a BroadcastChannel cannot clone
        }
        answer.then(
          (value) => {
            if (this.#backend !== backend || !this.#ops.delete(op)) return;
            resolve(value);
          },
          (error: unknown) => {
            if (this.#backend !== backend || !this.#ops.delete(op)) return;
            reject(error);
          },
        );
      };
      this.#ops.set(op, reject);
      if (this.#backend) op(this.#backend);
    });
  }

  #post(message: TabMessage): void {
    if (!this.#closed) this.#channel.postMessage(message);
  }
}

interface LocalSubscription {
  readonly query: Query;
  readonly callback: (rows: Row[]) => void;
  rows: Row[] | null;
  detach: (() => void) | null;
}

interface LocalCommand {
  readonly id: string;
  readonly name: string;
  readonly args: unknown;
  readonly listener: (update: CommandUpdate) => void;
  durable: boolean;
  replied: boolean;
}

function isFromLeader(message: TabMessage): message is FromLeader {
  return (
    message.kind !== 'hello' &&
    message.kind !== 'call' &&
    message.kind !== 'subscribe' &&
    message.kind !== 'unsubscribe'
  );
}

function call<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    reportError(error);
  }
}
