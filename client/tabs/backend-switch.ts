import type { Row, TableDefs } from '../../shared/index.ts';
import type { Accepted, ClientStatus, EngineApi, SubmitOptions } from '../api/index.ts';
import { closedUpdate, UnsettledCommands } from '../api/index.ts';
import type { CommandUpdate } from '../base/index.ts';
import { ClosedError, reportError } from '../base/index.ts';
import type { FeedBatch } from '../engine/index.ts';
import { type Query, sameRows } from '../query/index.ts';
import type { RejectedRecord } from '../storage/index.ts';
import { INITIAL_STATUS, type SyncStatus } from '../sync/index.ts';
import { scopedQuery, scopedSubscribe } from './scoped-query.ts';

/** What a `BackendSwitch` asks of the session it serves. */
export interface SwitchHost {
  /** The session is closing: calls are refused. */
  closed(): boolean;
  /** This tab holds the leader lock (reported in `status().leader`). */
  leading(): boolean;
  /** What unscoped queries read: the tab's own scopes when the engine syncs others too, else null. */
  readScopes(): ReadonlyArray<string> | null;
  /** The app's tables, for merging the scopes of a query in index order. */
  tables(): TableDefs;
}

/**
 * A tab's calls, subscriptions, listeners and unsettled commands, kept independent of the
 * backend that serves them (the engine here, or the leader tab). `bind` moves every
 * registration to a new backend and resends what the previous one left unanswered, so a
 * leader change loses nothing: a command already answered is resubmitted by id (idempotent),
 * with `resubmit: false` once it was durable; a call never answered runs again on the new one.
 * An answer from a backend that is no longer current is dropped.
 */
export class BackendSwitch implements EngineApi<ClientStatus> {
  readonly #host: SwitchHost;
  readonly #subs = new Set<LocalSubscription>();
  readonly #feeds = new Set<LocalFeed>();
  readonly #commands = new UnsettledCommands<LocalCommand>();
  /** Calls not answered yet, each with its reject (they fail with `ClosedError` at `close()`). */
  readonly #ops = new Map<(backend: EngineApi) => void, (error: unknown) => void>();
  readonly #statusListeners = new Set<(status: ClientStatus) => void>();
  readonly #rejectedListeners = new Set<(rejection: RejectedRecord) => void>();
  readonly #bindings: Array<() => void> = [];
  #backend: EngineApi | null = null;
  #status: ClientStatus = { ...INITIAL_STATUS, leader: false };

  constructor(host: SwitchHost) {
    this.#host = host;
  }

  submit(
    id: string,
    name: string,
    args: unknown,
    listener: (update: CommandUpdate) => void,
    options: SubmitOptions = {},
  ): Promise<Accepted> {
    const { at } = options;
    const command: LocalCommand = {
      id,
      name,
      args,
      at,
      durable: false,
      replied: false,
      listener: (update) => {
        if (update.stage === 'durable') command.durable = true;
        listener(update);
      },
    };
    this.#commands.add(command);
    const stages = (update: CommandUpdate) => this.#commands.update(update);
    return this.call((backend) => backend.submit(id, name, args, stages, atOf(at))).then((accepted) => {
      command.replied = true;
      if (!accepted.ok) this.#commands.refused(id);
      return accepted;
    });
  }

  query(query: Query): Promise<Row[]> {
    return this.call((backend) => scopedQuery(backend, query, this.#host.readScopes(), this.#host.tables()));
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

  /** The backend's rows of `scopes` as changes; re-attached (a reset first) to each new backend. */
  feed(scopes: ReadonlyArray<string>, listener: (batch: FeedBatch) => void): () => void {
    const feed: LocalFeed = { scopes, listener, detach: null };
    this.#feeds.add(feed);
    if (this.#backend) this.#attachFeed(feed, this.#backend);
    return () => {
      this.#feeds.delete(feed);
      feed.detach?.();
      feed.detach = null;
    };
  }

  #attachFeed(feed: LocalFeed, backend: EngineApi): void {
    feed.detach?.();
    feed.detach = backend.feed(feed.scopes, (batch) => {
      if (!this.#feeds.has(feed) || this.#backend !== backend) return;
      call(feed.listener, batch);
    });
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
    return this.call((backend) => backend.rejections());
  }

  dismiss(ids: ReadonlyArray<string>): Promise<void> {
    return this.call((backend) => backend.dismiss(ids));
  }

  setOnline(online: boolean): Promise<void> {
    return this.call((backend) => backend.setOnline(online));
  }

  /** Runs `run` on the current backend, again on the next one if this one never answers. */
  call<T>(run: (backend: EngineApi) => Promise<T>): Promise<T> {
    if (this.#host.closed()) return Promise.reject(new ClosedError());
    return new Promise<T>((resolve, reject) => {
      const op = (backend: EngineApi) => {
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

  /** Moves every registration to `backend` and resends what the previous one left unanswered. */
  bind(backend: EngineApi): void {
    for (const detach of this.#bindings.splice(0)) detach();
    this.#backend = backend;
    // Feeds first: the new backend's reset reaches the replica before any answer it gives.
    for (const feed of this.#feeds) {
      try {
        this.#attachFeed(feed, backend);
      } catch (error) {
        reportError(error);
      }
    }
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
    const stages = (update: CommandUpdate) => this.#commands.update(update);
    for (const command of this.#commands.values()) {
      if (!command.replied) continue; // its submit is an unanswered call, resent below
      const options = { ...atOf(command.at), resubmit: !command.durable };
      void backend.submit(command.id, command.name, command.args, stages, options).then((accepted) => {
        if (!accepted.ok) stages({ id: command.id, stage: 'rejected', code: accepted.code, message: accepted.message });
      }, reportError);
    }
    for (const op of [...this.#ops.keys()]) op(backend);
  }

  /** No backend for now: calls from here on wait for the next `bind`, which resends those in flight. */
  unbind(): void {
    for (const detach of this.#bindings.splice(0)) detach();
    this.#backend = null;
  }

  /** Detaches the status and rejection listeners and every subscription, for good. */
  detachAll(): void {
    for (const detach of this.#bindings.splice(0)) detach();
    for (const sub of this.#subs) sub.detach?.();
    this.#subs.clear();
    for (const feed of this.#feeds) feed.detach?.();
    this.#feeds.clear();
  }

  /** The session closes: every command not settled ends `rejected` as `closed`, every call unanswered rejects with `error`. */
  rejectPending(error: unknown): void {
    this.#commands.settleAll(closedUpdate);
    for (const reject of this.#ops.values()) reject(error);
    this.#ops.clear();
  }

  #attach(sub: LocalSubscription, backend: EngineApi): void {
    sub.detach?.();
    sub.detach = scopedSubscribe(backend, sub.query, this.#host.readScopes(), this.#host.tables(), (rows) => {
      if (!this.#subs.has(sub) || this.#backend !== backend) return;
      if (sub.rows !== null && sameRows(sub.rows, rows)) return; // the new leader's first answer, unchanged
      sub.rows = rows;
      call(sub.callback, rows);
    });
  }

  #setStatus(status: SyncStatus): void {
    const next: ClientStatus = { ...status, leader: this.#host.leading() };
    const prev = this.#status;
    const same = (Object.keys(next) as Array<keyof ClientStatus>).every((key) => next[key] === prev[key]);
    if (same) return;
    this.#status = next;
    for (const listener of this.#statusListeners) call(listener, next);
  }
}

interface LocalSubscription {
  readonly query: Query;
  readonly callback: (rows: Row[]) => void;
  rows: Row[] | null;
  detach: (() => void) | null;
}

interface LocalFeed {
  readonly scopes: ReadonlyArray<string>;
  readonly listener: (batch: FeedBatch) => void;
  detach: (() => void) | null;
}

interface LocalCommand {
  readonly id: string;
  readonly at: number | undefined;
  readonly name: string;
  readonly args: unknown;
  readonly listener: (update: CommandUpdate) => void;
  durable: boolean;
  replied: boolean;
}

function atOf(at: number | undefined): { at?: number } {
  return at === undefined ? {} : { at };
}

function call<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    reportError(error);
  }
}
