import { reportError } from '../base/index.ts';
import type { ScopeMark } from '../storage/index.ts';

/** What the engine tells the app about syncing (DESIGN §3). Plain data. */
export interface SyncStatus {
  /** The server answered the last call; `false` after a network failure. */
  readonly online: boolean;
  /** A push or a catch-up pull is in flight. */
  readonly syncing: boolean;
  /** Commands the server has not settled yet. */
  readonly pending: number;
  readonly lastError: { readonly code: string; readonly message: string; readonly at: number } | null;
  /** Whether the platform promised to keep this storage (`navigator.storage.persist()`). */
  readonly persisted: boolean;
  /** The server no longer accepts this client's version: pushing stopped until an upgrade. */
  readonly upgradeRequired: boolean;
  /**
   * How local storage is doing (G16): `ok`; `full`, a write hit the quota (new commands are
   * refused with `storage_full` until space frees); `failed`, writes fail for another reason;
   * `memory`, IndexedDB could not be opened, so nothing outlives this page and `durable`
   * resolves only once the server has a command.
   */
  readonly storage: StorageState;
  /**
   * This client's earlier database was gone when it opened (evicted, or deleted): it started
   * over as a new client, and commands not synced before then may be lost. Warn the user.
   */
  readonly storageLost: boolean;
  /**
   * Scopes holding events this app version cannot read (a newer server): their projections
   * lag behind their events until the app reloads with newer code. Prompt a reload.
   */
  readonly stale: ReadonlyArray<string>;
  /** Scopes whose projection threw on an event (which one: `seq`, `type`, `message`). */
  readonly quarantined: ReadonlyArray<ScopeMark>;
}

export type StorageState = 'ok' | 'full' | 'failed' | 'memory';

export const INITIAL_STATUS: SyncStatus = {
  online: false,
  syncing: false,
  pending: 0,
  lastError: null,
  persisted: false,
  upgradeRequired: false,
  storage: 'ok',
  storageLost: false,
  stale: [],
  quarantined: [],
};

/**
 * The current status and its subscribers. Changes are coalesced: subscribers hear once per
 * microtask at most, and only when a field really changed (10,000 executes in a burst do not
 * make 10,000 status callbacks).
 */
export class StatusStore {
  #status: SyncStatus;
  #notified: SyncStatus;
  #scheduled = false;
  readonly #listeners = new Set<(status: SyncStatus) => void>();

  constructor(initial: SyncStatus = INITIAL_STATUS) {
    this.#status = initial;
    this.#notified = initial;
  }

  get(): SyncStatus {
    return this.#status;
  }

  update(patch: Partial<SyncStatus>): void {
    this.#status = { ...this.#status, ...patch };
    // Reaching the server again answers a network error: it is no longer the state of things.
    if (patch.online === true && patch.lastError === undefined && this.#status.lastError?.code === 'network') {
      this.#status = { ...this.#status, lastError: null };
    }
    if (this.#scheduled || this.#listeners.size === 0) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  /** Calls `listener` with the current status now, then after each change. */
  subscribe(listener: (status: SyncStatus) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#scheduled) this.#notified = this.#status;
    listener(this.#status);
    return () => this.#listeners.delete(listener);
  }

  #flush(): void {
    this.#scheduled = false;
    const status = this.#status;
    if (sameStatus(status, this.#notified)) return;
    this.#notified = status;
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (error) {
        reportError(error);
      }
    }
  }
}

function sameStatus(a: SyncStatus, b: SyncStatus): boolean {
  return (
    a.online === b.online &&
    a.syncing === b.syncing &&
    a.pending === b.pending &&
    a.lastError === b.lastError &&
    a.persisted === b.persisted &&
    a.upgradeRequired === b.upgradeRequired &&
    a.storage === b.storage &&
    a.storageLost === b.storageLost &&
    a.stale === b.stale &&
    a.quarantined === b.quarantined
  );
}
