import { type BackoffOptions, DEFAULT_BACKOFF, type ReactionClock, systemClock } from './backoff.ts';
import type { CheckpointStore, ParkedEvents } from './checkpoint-store.ts';
import { defineReaction, type Reaction } from './reaction.ts';
import { latestAuditId } from './reaction-feed.ts';
import type { ReactionHost } from './reaction-host.ts';
import { type ReactionState, ReactionWorker } from './reaction-worker.ts';

export interface ReactionRunnerOptions {
  readonly reactions: ReadonlyArray<Reaction>;
  readonly checkpoints: CheckpointStore;
  /** Injected time for backoff waits; defaults to the system clock. */
  readonly clock?: ReactionClock;
  /** How often an idle reaction reads the feed when no push wakes it (default 1,000 ms). */
  readonly pollMs?: number;
  /** Events per batch unless the reaction says otherwise (default 100). */
  readonly batchSize?: number;
  /** Failures before a command's events are parked unless the reaction says otherwise (default 5). */
  readonly maxAttempts?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** Told about every handler or feed failure; defaults to `console.error`. */
  readonly onError?: (reaction: string, error: unknown) => void;
}

/** One reaction as the operator sees it (`GET /v1/reactions`). */
export interface ReactionStatus {
  readonly name: string;
  readonly state: ReactionState;
  /** The last audit id fully handled. */
  readonly checkpoint: number;
  /** The newest audit id, and how many ids the checkpoint is behind it. */
  readonly head: number;
  readonly lag: number;
  /** Consecutive failures of the current batch, and failures since start. */
  readonly attempts: number;
  readonly failures: number;
  readonly delivered: number;
  readonly lastError: { readonly message: string; readonly at: number } | null;
  readonly nextRetryAt: number | null;
  readonly parked: number;
}

/**
 * Runs the server's reactions, each in its own loop, once a server attaches it. Create it,
 * pass it as `createServer({ reactions })`, and `stop()` it before closing the store.
 *
 * @example
 * const reactions = createReactionRunner({ reactions: [mailer], checkpoints: sqliteCheckpoints({ file }) });
 * const server = createServer({ app, store, auth, reactions });
 */
export class ReactionRunner {
  readonly reactions: ReadonlyArray<Reaction>;
  readonly #options: ReactionRunnerOptions;
  readonly #workers = new Map<string, ReactionWorker>();
  readonly #abort = new AbortController();
  #host: ReactionHost | null = null;
  #loops: Promise<void>[] = [];
  #head = 0;

  constructor(options: ReactionRunnerOptions) {
    this.#options = options;
    this.reactions = options.reactions.map((r) => defineReaction(r));
    const names = new Set<string>();
    for (const { name } of this.reactions) {
      if (names.has(name)) throw new Error(`two reactions are named ${name}`);
      names.add(name);
    }
  }

  get host(): ReactionHost | null {
    return this.#host;
  }

  /** Starts every reaction against `host`; called once by `createServer`. */
  attach(host: ReactionHost): void {
    if (this.#host) throw new Error('this reaction runner is already attached to a server');
    if (this.#abort.signal.aborted) throw new Error('this reaction runner was stopped');
    this.#host = host;
    const o = this.#options;
    const settings = {
      clock: o.clock ?? systemClock,
      pollMs: o.pollMs ?? 1000,
      batchSize: o.batchSize ?? 100,
      maxAttempts: o.maxAttempts ?? 5,
      backoff: { ...DEFAULT_BACKOFF, ...o.backoff },
      onError: o.onError ?? ((name: string, error: unknown) => console.error(`weft: reaction ${name} failed`, error)),
    };
    for (const reaction of this.reactions) {
      const worker = new ReactionWorker(reaction, host, o.checkpoints, settings, this.#abort.signal);
      this.#workers.set(reaction.name, worker);
      this.#loops.push(worker.run());
    }
  }

  /** New events were committed: wake idle reactions now instead of at their next poll. */
  notify(): void {
    for (const worker of this.#workers.values()) worker.notify();
  }

  has(name: string): boolean {
    return this.reactions.some((r) => r.name === name);
  }

  async status(): Promise<ReactionStatus[]> {
    const store = this.#host?.store;
    if (store) {
      const known = Math.max(this.#head, ...[...this.#workers.values()].map((w) => w.checkpoint));
      this.#head = await latestAuditId(store, known);
    }
    return [...this.#workers.values()].map((w) => ({
      name: w.reaction.name,
      state: w.state,
      checkpoint: w.checkpoint,
      head: this.#head,
      lag: Math.max(0, this.#head - w.checkpoint),
      attempts: w.attempts,
      failures: w.failures,
      delivered: w.delivered,
      lastError: w.lastError,
      nextRetryAt: w.nextRetryAt,
      parked: w.parkedCount,
    }));
  }

  parked(name: string): Promise<ParkedEvents[]> {
    return this.#options.checkpoints.parked(name);
  }

  /** Re-delivers the reaction's parked events (before new ones); returns how many were queued. */
  async resume(name: string): Promise<number> {
    const worker = this.#workers.get(name);
    if (!worker) throw new Error(`no reaction named ${name} is running`);
    return worker.resume(await this.#options.checkpoints.parked(name));
  }

  /** Stops every loop, waiting for in-flight handlers, and closes the checkpoint store. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#loops);
    await this.#options.checkpoints.close();
  }
}

export function createReactionRunner(options: ReactionRunnerOptions): ReactionRunner {
  return new ReactionRunner(options);
}
