import type { Row } from '../../shared/index.ts';
import type { CommandUpdate } from '../base/index.ts';
import { reportError } from '../base/index.ts';
import type { FeedBatch } from '../engine/index.ts';
import type { Query } from '../query/index.ts';
import type { RejectedRecord } from '../storage/index.ts';
import type { SyncStatus } from '../sync/index.ts';
import type { Accepted, EngineApi, SubmitOptions } from './engine-api.ts';
import { type Call, type CallMethod, type Event, parseReplyValue, type Request } from './engine-protocol.ts';
import { closedUpdate, UnsettledCommands } from './unsettled-commands.ts';
import { Batcher } from './worker-stream.ts';

/**
 * The engine API over a carrier (engine-protocol.ts): the page's side of its worker's port,
 * and a follower's side of its leader on the tabs' channel. Calls go out batched (one message
 * per microtask, or every `max` items in a long synchronous loop); `receive` takes the events
 * the carrier validated. One instance per engine reached: after a leader change the session
 * makes a new one and resends there what this one left unanswered.
 */
export class EngineClient<S extends SyncStatus = SyncStatus> implements EngineApi<S> {
  readonly #out: Batcher<Request>;
  readonly #calls = new Map<
    number,
    { method: CallMethod; id?: string; resolve(value: unknown): void; reject(error: unknown): void }
  >();
  readonly #commands = new UnsettledCommands();
  readonly #subs = new Map<number, (rows: Row[]) => void>();
  readonly #feeds = new Map<number, (batch: FeedBatch) => void>();
  readonly #statusListeners = new Set<(status: S) => void>();
  readonly #rejectedListeners = new Set<(rejection: RejectedRecord) => void>();
  #status: S | null;
  #next = 1;
  #disposed = false;

  constructor(send: (items: Request[]) => void, status: S | null = null, options: { max?: number } = {}) {
    this.#out = new Batcher<Request>(send, options);
    this.#status = status;
  }

  /** The last status the engine reported (or the one it was opened with). */
  get status(): S | null {
    return this.#status;
  }

  /** Takes the events of one message, in order; what is no longer awaited is dropped. */
  receive(events: ReadonlyArray<Event>): void {
    if (this.#disposed) return;
    for (const event of events) this.#receive(event);
  }

  /** Sends what is queued now. */
  flush(): void {
    this.#out.flush();
  }

  /**
   * Stops listening. With `error` (the caller is closing), every command not settled yet ends
   * `rejected` as `closed` and unanswered calls reject with `error`; without (a leader change),
   * nothing settles: the session resends it all to the next engine.
   */
  dispose(error?: unknown): void {
    this.#disposed = true;
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    if (error !== undefined) {
      this.#commands.settleAll(closedUpdate);
      for (const call of calls) call.reject(error);
    }
    this.#commands.clear();
    this.#subs.clear();
    this.#feeds.clear();
    this.#statusListeners.clear();
    this.#rejectedListeners.clear();
  }

  submit(
    id: string,
    name: string,
    args: unknown,
    listener: (update: CommandUpdate) => void,
    options: SubmitOptions = {},
  ): Promise<Accepted> {
    const { at, resubmit, soon } = options;
    this.#commands.add({ id, listener });
    return new Promise<unknown>((resolve, reject) => {
      const callId = this.#next++;
      this.#calls.set(callId, { method: 'submit', id, resolve, reject });
      const request: Request = {
        kind: 'submit',
        callId,
        id,
        name,
        args,
        ...(at === undefined ? {} : { at }),
        ...(resubmit === false ? { resubmit } : {}),
      };
      if (soon) this.#out.sendSoon(request);
      else this.#out.send(request);
    }) as Promise<Accepted>;
  }

  query(query: Query): Promise<Row[]> {
    return this.#call({ method: 'query', query }) as Promise<Row[]>;
  }

  subscribe(query: Query, callback: (rows: Row[]) => void): () => void {
    const subId = this.#next++;
    this.#subs.set(subId, callback);
    this.#out.send({ kind: 'subscribe', subId, query });
    return () => {
      if (this.#subs.delete(subId) && !this.#disposed) this.#out.send({ kind: 'unsubscribe', subId });
    };
  }

  feed(scopes: ReadonlyArray<string>, listener: (batch: FeedBatch) => void): () => void {
    const subId = this.#next++;
    this.#feeds.set(subId, listener);
    this.#out.send({ kind: 'feed', subId, scopes: [...scopes] });
    return () => {
      if (this.#feeds.delete(subId) && !this.#disposed) this.#out.send({ kind: 'unsubscribe', subId });
    };
  }

  onStatus(listener: (status: S) => void): () => void {
    this.#statusListeners.add(listener);
    if (this.#status !== null) listener(this.#status);
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
    await this.#call({ method: 'dismiss', ids: [...ids] });
  }

  async setOnline(online: boolean): Promise<void> {
    await this.#call({ method: 'setOnline', online });
  }

  #call(call: Call): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const callId = this.#next++;
      this.#calls.set(callId, { method: call.method, resolve, reject });
      this.#out.send({ kind: 'call', callId, call });
    });
  }

  #receive(event: Event): void {
    switch (event.kind) {
      case 'status':
        this.#status = event.status as S;
        for (const listener of this.#statusListeners) safely(listener, event.status as S);
        return;
      case 'reply': {
        const call = this.#calls.get(event.callId);
        if (!call) return;
        if (!event.ok) {
          this.#calls.delete(event.callId);
          if (call.id !== undefined) this.#commands.refused(call.id); // the submit failed: it did not run
          call.reject(Object.assign(new Error(event.error?.message), { name: event.error?.name ?? 'Error' }));
          return;
        }
        // A value of the wrong shape is not the engine's answer: the call waits for the real one.
        const value = parseReplyValue(call.method, event.value);
        if (!value.ok) {
          reportError(value.error);
          return;
        }
        this.#calls.delete(event.callId);
        if (call.id !== undefined && !(value.value as Accepted).ok) this.#commands.refused(call.id);
        call.resolve(value.value);
        return;
      }
      case 'update':
        this.#commands.update(event.update);
        return;
      case 'rows':
        this.#subs.get(event.subId)?.(event.rows);
        return;
      case 'feed':
        this.#feeds.get(event.subId)?.(event.batch);
        return;
      case 'rejected':
        for (const listener of this.#rejectedListeners) safely(listener, event.rejection as RejectedRecord);
        return;
      default:
        reportError(new TypeError(`weft: unknown engine event ${(event as { kind: unknown }).kind}`));
    }
  }
}

function safely<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    reportError(error);
  }
}
