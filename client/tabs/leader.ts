import type { EngineApi } from '../api/index.ts';
import { type EngineServer, serveEngine } from '../api/index.ts';
import type { SyncStatus } from '../sync/index.ts';
import type { FromLeader, TabMessage } from './tabs-protocol.ts';
import { tabLock } from './tabs-protocol.ts';

/**
 * The leader tab's side of the tabs' channel: serves each follower the engine API with the
 * engine's backend (`serveEngine`, the same server the worker gives its page), inside the
 * channel's envelope, and announces this leader. A follower that dies (its tab lock is
 * released) loses its server, and with it its subscriptions and feeds.
 */
export class LeaderService {
  readonly #channel: BroadcastChannel;
  readonly #id: string;
  readonly #dbName: string;
  readonly #backend: EngineApi;
  readonly #scopes: ReadonlyArray<string>;
  readonly #followers = new Map<string, EngineServer>();
  readonly #detach: Array<() => void> = [];
  readonly #abort = new AbortController();
  #status: SyncStatus | null = null;
  #stopped = false;

  /** `id` names this leader (tab and engine epoch); `scopes` are those its engine syncs. */
  constructor(
    channel: BroadcastChannel,
    id: string,
    dbName: string,
    backend: EngineApi,
    scopes: ReadonlyArray<string>,
  ) {
    this.#channel = channel;
    this.#id = id;
    this.#dbName = dbName;
    this.#backend = backend;
    this.#scopes = scopes;
  }

  /** Starts serving and announces this leader to every tab. */
  start(): void {
    this.#detach.push(
      this.#backend.onStatus((status) => {
        this.#status = status;
      }),
    );
    this.#announce();
  }

  /** Handles one message of the channel (the session routes every message here while it leads). */
  handle(message: TabMessage): void {
    if (this.#stopped) return;
    switch (message.kind) {
      case 'hello':
        this.#announce();
        return;
      case 'toLeader':
        if (message.to !== this.#id) return;
        this.#follower(message.from).receive(message.items);
        return;
      default:
        return; // messages of other leaders (a successor racing in) are not ours to serve
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#abort.abort();
    for (const detach of this.#detach.splice(0)) detach();
    for (const tab of [...this.#followers.keys()]) this.#drop(tab);
  }

  #announce(): void {
    if (this.#status) this.#post({ kind: 'leader', leader: this.#id, status: this.#status, scopes: this.#scopes });
  }

  /** The follower's server, watching its tab lock the first time it is seen. */
  #follower(tab: string): EngineServer {
    let server = this.#followers.get(tab);
    if (server) return server;
    server = serveEngine(this.#backend, (items) =>
      this.#post({ kind: 'fromLeader', leader: this.#id, to: tab, items }),
    );
    this.#followers.set(tab, server);
    // Granted only once the follower's tab is gone (it holds its lock while it lives).
    navigator.locks
      .request(tabLock(this.#dbName, tab), { signal: this.#abort.signal }, async () => this.#drop(tab))
      .catch(() => undefined); // aborted: this leader stopped first
    return server;
  }

  #drop(tab: string): void {
    this.#followers.get(tab)?.stop();
    this.#followers.delete(tab);
  }

  #post(message: FromLeader): void {
    if (!this.#stopped) this.#channel.postMessage(message);
  }
}
