import { backoffDelay, type Clock, Waker } from './backoff.ts';
import type { ClientStorage, OutboxRecord, StorageCommit } from './client-storage.ts';

export interface StorageWriterOptions {
  /** Runs a callback in a later macrotask: the group-commit window. */
  readonly schedule: (run: () => void) => void;
  readonly clock: Clock;
  readonly random: () => number;
  /** A commit failed (quota, an aborted transaction); it will be retried. */
  readonly onError: (error: unknown) => void;
  /** A commit succeeded after failures. */
  readonly onRecovered: () => void;
}

interface Job {
  readonly change: StorageCommit | null;
  /** Outbox appends gathered into this job (group commit); null for other writes. */
  readonly appends: OutboxRecord[] | null;
  /** Still taking appends: it is the last job queued and has not started. */
  open: boolean;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The engine's one path to storage. Commits run one at a time in the order they were asked
 * for, so the database only ever holds states the engine's memory went through. Outbox appends
 * of the same macrotask share one transaction (group commit), and appends made while a
 * transaction runs join the next one, so durability costs one transaction per frame, not per
 * command. A failed commit is retried with backoff before anything queued after it: a quota
 * error delays durability, but never reorders or drops a write.
 */
export class StorageWriter {
  readonly #storage: ClientStorage;
  readonly #options: StorageWriterOptions;
  readonly #retry: Waker;
  readonly #queue: Job[] = [];
  #scheduled = false;
  #draining: Promise<void> | null = null;
  #closing = false;

  constructor(storage: ClientStorage, options: StorageWriterOptions) {
    this.#storage = storage;
    this.#options = options;
    this.#retry = new Waker(options.clock);
  }

  /** Adds a command's outbox row to the open group commit; resolves once it is durable. */
  append(record: OutboxRecord): Promise<void> {
    const last = this.#queue.at(-1);
    const job = last?.open && last.appends ? last : this.#enqueue(null, []);
    job.appends?.push(record);
    return job.done;
  }

  /** Queues one atomic write after everything queued before it. */
  write(change: StorageCommit): Promise<void> {
    return this.#enqueue(change, null).done;
  }

  /** Resolves once everything queued so far has committed. */
  async idle(): Promise<void> {
    await this.#queue.at(-1)?.done.catch(() => undefined);
  }

  /** Commits what is queued, then stops; a commit that fails while closing is not retried. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#retry.wake();
    this.#kick();
    await this.#draining;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the engine closed before this write committed'));
  }

  #enqueue(change: StorageCommit | null, appends: OutboxRecord[] | null): Job {
    const last = this.#queue.at(-1);
    if (last) last.open = false;
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    // Callers that ignore a write's outcome must not cause an unhandled rejection.
    done.catch(() => undefined);
    const job: Job = { change, appends, open: true, done, resolve, reject };
    this.#queue.push(job);
    this.#kick();
    return job;
  }

  #kick(): void {
    if (this.#draining !== null) return;
    if (this.#closing) {
      this.#draining = this.#drain();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#options.schedule(() => {
      this.#scheduled = false;
      if (this.#draining === null) this.#draining = this.#drain();
    });
  }

  async #drain(): Promise<void> {
    let failures = 0;
    for (let job = this.#queue[0]; job; job = this.#queue[0]) {
      job.open = false;
      const change = job.appends
        ? { outbox: job.appends, lastSeq: job.appends.reduce((max, r) => Math.max(max, r.seq), 0) }
        : job.change;
      try {
        await this.#storage.commit(change ?? {});
        this.#queue.shift();
        if (failures > 0) this.#options.onRecovered();
        failures = 0;
        job.resolve();
      } catch (error) {
        this.#options.onError(error);
        if (this.#closing) break;
        await this.#retry.sleep(backoffDelay(++failures, this.#options.random));
      }
    }
    this.#draining = null;
  }
}

/** A storage error as status reports it: a quota error gets its own code. */
export function describeStorageError(error: unknown): { code: string; message: string } {
  const name = error instanceof Error ? error.name : '';
  const inner = (error as { inner?: { name?: string } } | null)?.inner?.name; // Dexie wraps the DOMException
  const quota = name === 'QuotaExceededError' || inner === 'QuotaExceededError';
  return {
    code: quota ? 'storage_quota' : 'storage_failed',
    message: error instanceof Error ? error.message : String(error),
  };
}
