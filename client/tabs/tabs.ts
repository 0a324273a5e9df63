import type { AnyApp } from '../../shared/index.ts';
import type { ClientStatus, EngineApi } from '../api/index.ts';
import { EngineClient } from '../api/index.ts';
import { ClosedError, deferred, reportError } from '../base/index.ts';
import { BackendSwitch } from './backend-switch.ts';
import { LeaderService } from './leader.ts';
import { openTabEngine, type SessionConfig } from './open-tab-engine.ts';
import { channelName, leaderLock, parseTabMessage, type TabMessage, tabLock } from './tabs-protocol.ts';

export type { SessionConfig } from './open-tab-engine.ts';

/**
 * One tab's session of a client (DESIGN §3, tabs): exactly one session per `dbName` holds the
 * Web Lock and hosts the engine; the others forward to it over a BroadcastChannel. Every
 * subscription, listener and unsettled command is registered in a `BackendSwitch`, independent
 * of the backend, so when the leader changes (its tab closed, or this tab took over) they are
 * all re-attached to the new one and calls still unanswered are resent. The new leader opens
 * the engine from IndexedDB: durable commands keep their seqs, and commands the old leader never
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
  readonly #calls = new BackendSwitch({
    closed: () => this.#closed,
    leading: () => this.#leading,
    readScopes: () => this.#readScopes(),
    tables: () => this.#app.tables,
  });
  readonly #ready = deferred();
  readonly #closing = deferred();
  readonly #abort = new AbortController();
  /** The leader this tab follows, reached over the channel (null while it leads or has none). */
  #remote: { readonly leader: string; readonly client: EngineClient } | null = null;
  #service: LeaderService | null = null;
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

  /**
   * The engine API of this tab, whichever tab leads: every call, subscription and unsettled
   * command is kept here and moved to the next leader (see BackendSwitch).
   */
  get engine(): EngineApi<ClientStatus> {
    return this.#calls;
  }

  status(): ClientStatus {
    return this.#calls.status();
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
    this.#calls.detachAll();
    this.#remote?.client.dispose();
    this.#channel.close();
    this.#releaseTab();
    const closed = new ClosedError();
    this.#calls.rejectPending(closed);
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
      const { engine, backend } = await openTabEngine(this.#app, this.#config, scopes);
      this.#remote?.client.dispose();
      this.#remote = null;
      this.#leaderScopes = scopes;
      this.#service = new LeaderService(this.#channel, `${this.tabId}/${epoch}`, dbName, backend, scopes);
      this.#bind(backend);
      this.#service.start();
      await Promise.race([this.#closing.promise, rescope.promise]);
      this.#service.stop();
      this.#service = null;
      // Calls from now on wait for the reopened engine; those in flight are resent there.
      if (!this.#closed) this.#calls.unbind();
      await engine.close();
    }
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
    if (message.kind === 'fromLeader' && message.to === this.tabId && message.leader === this.#remote?.leader) {
      this.#remote.client.receive(message.items);
    }
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
    this.#remote?.client.dispose();
    const { leader } = message;
    const client = new EngineClient(
      (items) => this.#post({ kind: 'toLeader', from: this.tabId, to: leader, items }),
      message.status,
    );
    this.#remote = { leader, client };
    this.#bind(client);
  }

  /** What this tab's unscoped queries read: its own scopes when the engine syncs others too, else null. */
  #readScopes(): ReadonlyArray<string> | null {
    const own = this.#config.scopes;
    const served = this.#leaderScopes;
    if (served === null || served.every((scope) => own.includes(scope))) return null;
    return own;
  }

  /** Serves this tab's calls from `backend` (re-attaching and resending), and unblocks `open`. */
  #bind(backend: EngineApi): void {
    this.#calls.bind(backend);
    this.#ready.resolve();
  }

  #post(message: TabMessage): void {
    if (!this.#closed) this.#channel.postMessage(message);
  }
}
