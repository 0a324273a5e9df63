import type { Row } from '../shared/index.ts';
import type { Accepted, Backend } from './backend.ts';
import type { RejectedRecord } from './client-storage.ts';
import type { CommandUpdate } from './command-lifecycle.ts';
import type { Query } from './query.ts';
import { reportError } from './report-error.ts';
import type { FeedBatch } from './row-feed.ts';
import type { SyncStatus } from './status.ts';
import { type FromLeader, type LeaderCall, parseReplyValue, type ToLeader } from './tabs-protocol.ts';
import { UnsettledCommands } from './unsettled-commands.ts';

/**
 * A follower tab's backend: the leader tab `leader`, reached over the tabs' BroadcastChannel.
 * One instance per leader; when another tab takes over the session makes a new one, and calls
 * still unanswered here are resent there by the session (every call is idempotent).
 */
export class RemoteLeader implements Backend {
  readonly leader: string;
  readonly #post: (message: ToLeader) => void;
  readonly #tab: string;
  readonly #calls = new Map<
    number,
    { method: LeaderCall['method']; resolve(value: unknown): void; reject(error: Error): void }
  >();
  readonly #subs = new Map<number, (rows: Row[]) => void>();
  readonly #feeds = new Map<number, (batch: FeedBatch) => void>();
  readonly #commands = new UnsettledCommands();
  readonly #statusListeners = new Set<(status: SyncStatus) => void>();
  readonly #rejectedListeners = new Set<(rejection: RejectedRecord) => void>();
  #status: SyncStatus;
  #nextId = 1;
  #disposed = false;

  constructor(post: (message: ToLeader) => void, tab: string, leader: string, status: SyncStatus) {
    this.#post = post;
    this.#tab = tab;
    this.leader = leader;
    this.#status = status;
  }

  /** Takes one message of the channel; ignores what is not for this tab from this leader. */
  handle(message: FromLeader): void {
    if (this.#disposed) return;
    switch (message.kind) {
      case 'reply': {
        if (message.to !== this.#tab) return;
        const call = this.#calls.get(message.callId);
        if (!call) return;
        if (!message.ok) {
          this.#calls.delete(message.callId);
          call.reject(Object.assign(new Error(message.error?.message), { name: message.error?.name ?? 'Error' }));
          return;
        }
        // A value of the wrong shape is not the leader's answer: the call waits for the real one.
        const value = parseReplyValue(call.method, message.value);
        if (!value.ok) {
          reportError(value.error);
          return;
        }
        this.#calls.delete(message.callId);
        call.resolve(value.value);
        return;
      }
      case 'rows':
        if (message.to === this.#tab) this.#subs.get(message.subId)?.(message.rows);
        return;
      case 'feedRows':
        if (message.to === this.#tab) this.#feeds.get(message.subId)?.(message.batch);
        return;
      case 'command':
        if (message.to !== this.#tab) return;
        this.#commands.update(message.update);
        return;
      case 'status':
        if (message.leader !== this.leader) return;
        this.#status = message.status;
        for (const listener of this.#statusListeners) listener(message.status);
        return;
      case 'rejected':
        if (message.leader !== this.leader) return;
        for (const listener of this.#rejectedListeners) listener(message.rejection);
        return;
      default:
        return;
    }
  }

  /** Stops listening; unanswered calls never settle (the session resends them elsewhere). */
  dispose(): void {
    this.#disposed = true;
    this.#calls.clear();
    this.#subs.clear();
    this.#feeds.clear();
    this.#commands.clear();
    this.#statusListeners.clear();
    this.#rejectedListeners.clear();
  }

  submit(
    id: string,
    name: string,
    args: unknown,
    listener: (update: CommandUpdate) => void,
    resubmit: boolean,
    at?: number,
  ): Promise<Accepted> {
    this.#commands.add({ id, listener });
    const call: LeaderCall = { method: 'submit', id, name, args, resubmit, ...(at === undefined ? {} : { at }) };
    return (this.#call(call) as Promise<Accepted>).then((accepted) => {
      if (!accepted.ok) this.#commands.refused(id);
      return accepted;
    });
  }

  feed(scopes: ReadonlyArray<string>, listener: (batch: FeedBatch) => void): () => void {
    const subId = this.#nextId++;
    this.#feeds.set(subId, listener);
    this.#post({ kind: 'feed', from: this.#tab, to: this.leader, subId, scopes: [...scopes] });
    return () => {
      if (!this.#feeds.delete(subId) || this.#disposed) return;
      this.#post({ kind: 'unsubscribe', from: this.#tab, to: this.leader, subId });
    };
  }

  query(query: Query): Promise<Row[]> {
    return this.#call({ method: 'query', query }) as Promise<Row[]>;
  }

  subscribe(query: Query, callback: (rows: Row[]) => void): () => void {
    const subId = this.#nextId++;
    this.#subs.set(subId, callback);
    this.#post({ kind: 'subscribe', from: this.#tab, to: this.leader, subId, query });
    return () => {
      if (!this.#subs.delete(subId) || this.#disposed) return;
      this.#post({ kind: 'unsubscribe', from: this.#tab, to: this.leader, subId });
    };
  }

  onStatus(listener: (status: SyncStatus) => void): () => void {
    this.#statusListeners.add(listener);
    listener(this.#status);
    return () => this.#statusListeners.delete(listener);
  }

  onRejected(listener: (rejection: RejectedRecord) => void): () => void {
    this.#rejectedListeners.add(listener);
    return () => this.#rejectedListeners.delete(listener);
  }

  rejections(): Promise<RejectedRecord[]> {
    return this.#call({ method: 'rejections' }) as Promise<RejectedRecord[]>;
  }

  async dismiss(ids: ReadonlyArray<string>): Promise<void> {
    await this.#call({ method: 'dismiss', ids });
  }

  async setOnline(online: boolean): Promise<void> {
    await this.#call({ method: 'setOnline', online });
  }

  #call(call: LeaderCall): Promise<unknown> {
    const callId = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(callId, { method: call.method, resolve, reject });
      this.#post({ kind: 'call', from: this.#tab, to: this.leader, callId, call });
    });
  }
}
