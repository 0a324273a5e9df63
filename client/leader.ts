import type { Backend } from './backend.ts';
import type { FromLeader, LeaderCall, TabMessage } from './tabs-protocol.ts';
import { tabLock } from './tabs-protocol.ts';

/**
 * Status broadcasts are paced to one a frame: a change goes out at once, later ones within
 * the frame go out together at its end. A burst of commands changes `pending` each time, and
 * a BroadcastChannel message costs far more than the command itself.
 */
const STATUS_PACE_MS = 16;

/**
 * The leader tab's side of the tab protocol: serves the followers' calls and subscriptions
 * with the engine's backend, and broadcasts status changes and rejections to every tab. A
 * follower that dies (its tab lock is released) loses its subscriptions here too.
 */
export class LeaderService {
  readonly #channel: BroadcastChannel;
  readonly #id: string;
  readonly #dbName: string;
  readonly #backend: Backend;
  readonly #scopes: ReadonlyArray<string>;
  readonly #followers = new Map<string, Map<number, () => void>>();
  readonly #detach: Array<() => void> = [];
  readonly #abort = new AbortController();
  #status: Parameters<Parameters<Backend['onStatus']>[0]>[0] | null = null;
  /** The status changed since it was last broadcast. */
  #statusDirty = false;
  #statusTimer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;

  /** `id` names this leader (tab and engine epoch); `scopes` are those its engine syncs. */
  constructor(channel: BroadcastChannel, id: string, dbName: string, backend: Backend, scopes: ReadonlyArray<string>) {
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
        const first = this.#status === null;
        this.#status = status;
        if (first) return;
        this.#statusDirty = true;
        if (this.#statusTimer === null) this.#sendStatus();
      }),
      this.#backend.onRejected((rejection) => this.#post({ kind: 'rejected', leader: this.#id, rejection })),
    );
    this.#announce();
  }

  /** Handles one message of the channel (the session routes every message here while it leads). */
  handle(message: TabMessage): void {
    if (this.#stopped) return;
    switch (message.kind) {
      case 'hello':
        this.#follower(message.from);
        this.#announce();
        return;
      case 'call':
        if (message.to !== this.#id) return;
        this.#follower(message.from);
        void this.#serve(message.from, message.callId, message.call);
        return;
      case 'subscribe': {
        if (message.to !== this.#id) return;
        const subs = this.#follower(message.from);
        subs.get(message.subId)?.();
        const { from, subId } = message;
        try {
          subs.set(
            subId,
            this.#backend.subscribe(message.query, (rows) => this.#post({ kind: 'rows', to: from, subId, rows })),
          );
        } catch {
          // An invalid query: the follower validated it already; nothing to serve.
        }
        return;
      }
      case 'feed': {
        if (message.to !== this.#id) return;
        const subs = this.#follower(message.from);
        subs.get(message.subId)?.();
        const { from, subId } = message;
        subs.set(
          subId,
          this.#backend.feed(message.scopes, (batch) => this.#post({ kind: 'feedRows', to: from, subId, batch })),
        );
        return;
      }
      case 'unsubscribe': {
        if (message.to !== this.#id) return;
        const subs = this.#followers.get(message.from);
        subs?.get(message.subId)?.();
        subs?.delete(message.subId);
        return;
      }
      default:
        return; // messages of other leaders (a successor racing in) are not ours to serve
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#abort.abort();
    if (this.#statusTimer !== null) clearTimeout(this.#statusTimer);
    for (const detach of this.#detach.splice(0)) detach();
    for (const tab of [...this.#followers.keys()]) this.#drop(tab);
  }

  #announce(): void {
    if (this.#status) this.#post({ kind: 'leader', leader: this.#id, status: this.#status, scopes: this.#scopes });
  }

  /** Broadcasts the status if it changed, then holds the next broadcast for a frame. */
  #sendStatus(): void {
    if (!this.#statusDirty || this.#status === null) return;
    this.#statusDirty = false;
    this.#post({ kind: 'status', leader: this.#id, status: this.#status });
    if (this.#statusTimer !== null) clearTimeout(this.#statusTimer);
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = null;
      this.#sendStatus();
    }, STATUS_PACE_MS);
  }

  async #serve(to: string, callId: number, call: LeaderCall): Promise<void> {
    try {
      const value = await this.#run(to, call);
      this.#sendStatus(); // a follower's status is never older than the answers it gets
      this.#post({ kind: 'reply', to, callId, ok: true, value });
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      this.#post({ kind: 'reply', to, callId, ok: false, error: { name, message } });
    }
  }

  #run(to: string, call: LeaderCall): Promise<unknown> {
    const backend = this.#backend;
    switch (call.method) {
      case 'submit':
        return backend.submit(
          call.id,
          call.name,
          call.args,
          (update) => {
            this.#sendStatus();
            this.#post({ kind: 'command', to, update });
          },
          call.resubmit,
          call.at,
        );
      case 'query':
        return backend.query(call.query);
      case 'rejections':
        return backend.rejections();
      case 'dismiss':
        return backend.dismiss(call.ids);
      case 'setOnline':
        return backend.setOnline(call.online);
      default:
        return Promise.reject(new TypeError(`unknown call ${(call as { method: string }).method}`));
    }
  }

  /** The follower's subscriptions, watching its tab lock the first time it is seen. */
  #follower(tab: string): Map<number, () => void> {
    let subs = this.#followers.get(tab);
    if (subs) return subs;
    subs = new Map();
    this.#followers.set(tab, subs);
    // Granted only once the follower's tab is gone (it holds its lock while it lives).
    navigator.locks
      .request(tabLock(this.#dbName, tab), { signal: this.#abort.signal }, async () => this.#drop(tab))
      .catch(() => undefined); // aborted: this leader stopped first
    return subs;
  }

  #drop(tab: string): void {
    const subs = this.#followers.get(tab);
    this.#followers.delete(tab);
    for (const unsubscribe of subs?.values() ?? []) unsubscribe();
  }

  #post(message: FromLeader): void {
    if (!this.#stopped) this.#channel.postMessage(message);
  }
}
