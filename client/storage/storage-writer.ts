import { backoffDelay, type Clock, Waker } from '../base/index.ts';
import type { ClientStorage, OutboxRecord, StorageCommit } from './client-storage.ts';
import { describeStorageError } from './storage-error.ts';

export { describeStorageError } from './storage-error.ts';

export interface StorageWriterOptions {
  readonly clock: Clock;
  readonly random: () => number;
  /**
   * Commits are failing (quota, an aborted transaction): called at the first failure, and again
   * only when the failure's code changes, however often commits are retried meanwhile.
   */
  readonly onError: (error: unknown) => void;
  /** A commit succeeded after failures. */
  readonly onRecovered: () => void;
  /** Tries of one write before giving up on it (default 3); see `StorageWriter`. */
  readonly attempts?: number;
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
 * for, so the database only ever holds states the engine's memory went through. An idle writer
 * starts a commit in a microtask, so the appends of the same task share it and a lone command
 * waits for no timer; appends made while a transaction runs join the next one (group commit),
 * so a burst costs one transaction per commit time (about a millisecond), not one per command.
 *
 * A failed commit is retried with backoff before anything queued after it, a few times
 * (`attempts`), then the writer gives up on it without a retry storm:
 * - Outbox appends are dropped: their `append` promises reject (the engine rejects those
 *   commands as `storage_full` or `storage_failed`). While commits keep failing, a later append
 *   gets one try, not a new round of backoff.
 * - Any other write (confirmed events, trims, settled records) is never dropped, since what
 *   follows builds on it: it stays first in the queue, untried until something changes (a new
 *   write is asked for), and the appends queued behind it are rejected. The database lags
 *   behind memory meanwhile, consistently: a reload re-pulls what the server confirmed.
 */
export class StorageWriter {
  readonly #storage: ClientStorage;
  readonly #options: StorageWriterOptions;
  readonly #retry: Waker;
  readonly #queue: Job[] = [];
  readonly #attempts: number;
  /** Consecutive failed commits; reset by a success. */
  #failures = 0;
  /** The code of the failure reported last, while commits fail. */
  #failing: string | null = null;
  /** Waiting, without a timer, for a new write before trying the stuck head again. */
  #parked = false;
  #scheduled = false;
  #draining: Promise<void> | null = null;
  #closing = false;

  constructor(storage: ClientStorage, options: StorageWriterOptions) {
    this.#storage = storage;
    this.#options = options;
    this.#retry = new Waker(options.clock);
    this.#attempts = Math.max(1, options.attempts ?? 3);
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
    if (this.#parked) this.#retry.wake(); // something changed: the stuck write gets one more try
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
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.#draining === null) this.#draining = this.#drain();
    });
  }

  async #drain(): Promise<void> {
    for (let job = this.#queue[0]; job; job = this.#queue[0]) {
      job.open = false;
      const change = job.appends
        ? { outbox: job.appends, lastSeq: job.appends.reduce((max, r) => Math.max(max, r.seq), 0) }
        : job.change;
      try {
        await this.#storage.commit(change ?? {});
        this.#queue.shift();
        this.#failures = 0;
        if (this.#failing !== null) {
          this.#failing = null;
          this.#options.onRecovered();
        }
        job.resolve();
      } catch (error) {
        this.#report(error);
        if (this.#closing) break;
        if (++this.#failures < this.#attempts) {
          await this.#retry.sleep(backoffDelay(this.#failures, this.#options.random));
        } else if (job.appends) {
          this.#queue.shift();
          job.reject(error);
        } else {
          this.#rejectAppends(error);
          this.#parked = true;
          await this.#retry.sleep();
          this.#parked = false;
        }
      }
    }
    this.#draining = null;
  }

  #report(error: unknown): void {
    const { code } = describeStorageError(error);
    if (this.#failing === code) return;
    this.#failing = code;
    this.#options.onError(error);
  }

  /** The appends queued behind a write that cannot commit: none of them can commit either. */
  #rejectAppends(error: unknown): void {
    const [head, ...rest] = this.#queue;
    const appends = rest.filter((job) => job.appends);
    if (appends.length === 0) return;
    this.#queue.splice(0, this.#queue.length, ...(head ? [head] : []), ...rest.filter((job) => !job.appends));
    for (const job of appends) job.reject(error);
  }
}
