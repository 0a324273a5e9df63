import type { CommandState, CommandUpdate } from '../base/index.ts';
import { reportError } from '../base/index.ts';
import { CONFIRMED_RECORDS_KEPT, type RejectedRecord, type SettledRecord } from '../storage/index.ts';

/**
 * Who waits on which command, and how commands ended: the settled records loaded from storage
 * plus those settled since, the rejection inbox and its listeners. Listeners hear of a
 * settlement only once its record is durable, so what they are told survives a reload.
 */
export class CommandLifecycle {
  readonly #listeners = new Map<string, (update: CommandUpdate) => void>();
  readonly #settled = new Map<string, SettledRecord>();
  readonly #onRejected = new Set<(rejection: RejectedRecord) => void>();
  constructor(records: ReadonlyArray<SettledRecord>) {
    for (const record of records) this.#settled.set(record.id, record);
  }

  track(id: string, listener: (update: CommandUpdate) => void): void {
    this.#listeners.set(id, listener);
  }

  durable(id: string): void {
    this.#emit(id, { id, stage: 'durable' });
  }

  /** The command was lost before it became durable (the engine closed): no record is kept. */
  abandon(id: string, message: string): void {
    this.#emit(id, { id, stage: 'rejected', code: 'not_durable', message });
    this.#listeners.delete(id);
  }

  /** Records a settlement now; tells the listeners once `written` resolves. */
  settle(record: SettledRecord, written: Promise<void>): void {
    this.#settled.set(record.id, record);
    this.#prune();
    written.then(
      () => {
        this.#emit(
          record.id,
          record.status === 'confirmed'
            ? { id: record.id, stage: 'confirmed' }
            : { id: record.id, stage: 'rejected', code: record.code, message: record.message },
        );
        this.#listeners.delete(record.id);
        if (record.status === 'rejected') for (const listener of this.#onRejected) this.#call(listener, record);
      },
      () => undefined, // the engine closed first: the command is still in the outbox for next time
    );
  }

  state(id: string, pending: boolean): CommandState {
    if (pending) return 'pending';
    return this.#settled.get(id)?.status ?? 'unknown';
  }

  rejections(): RejectedRecord[] {
    return [...this.#settled.values()].filter((record): record is RejectedRecord => record.status === 'rejected');
  }

  dismiss(ids: ReadonlyArray<string>): void {
    for (const id of ids) if (this.#settled.get(id)?.status === 'rejected') this.#settled.delete(id);
  }

  onRejected(listener: (rejection: RejectedRecord) => void): () => void {
    this.#onRejected.add(listener);
    return () => this.#onRejected.delete(listener);
  }

  #emit(id: string, update: CommandUpdate): void {
    const listener = this.#listeners.get(id);
    if (listener) this.#call(listener, update);
  }

  #call<T>(listener: (value: T) => void, value: T): void {
    try {
      listener(value);
    } catch (error) {
      reportError(error);
    }
  }

  /** Keeps the newest confirmations only; rejections stay until dismissed. */
  #prune(): void {
    let excess = this.#settled.size - CONFIRMED_RECORDS_KEPT - 100;
    if (excess <= 0) return;
    for (const [id, record] of this.#settled) {
      if (excess <= 0) break;
      if (record.status === 'confirmed') {
        this.#settled.delete(id);
        excess--;
      }
    }
  }
}
