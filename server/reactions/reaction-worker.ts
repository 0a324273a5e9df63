import type { WireEvent } from '../../shared/index.ts';
import { type BackoffOptions, backoffDelay, type ReactionClock } from './backoff.ts';
import type { CheckpointStore, ParkedEvents } from './checkpoint-store.ts';
import type { Reaction, ReactionContext } from './reaction.ts';
import { type FeedBatch, readFeed } from './reaction-feed.ts';
import type { ReactionHost } from './reaction-host.ts';
import { issueSagaCommand, sagaCommandId } from './saga-commands.ts';

/** `standby`: another server node holds this reaction's lease (see `CheckpointStore.lease`). */
export type ReactionState = 'starting' | 'idle' | 'standby' | 'delivering' | 'retrying' | 'stopped';

export interface WorkerSettings {
  readonly clock: ReactionClock;
  readonly pollMs: number;
  readonly batchSize: number;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  readonly onError: (reaction: string, error: unknown) => void;
}

type Delivery = { ok: true } | { ok: false; error: unknown };

/**
 * Runs one reaction: read the next batch after the checkpoint, hand it to the handler, save
 * the checkpoint. Invariants: the checkpoint only moves past events the handler returned from
 * (or that were parked, in the same transaction); after a failed batch, the commands up to its
 * end are delivered one at a time so a failure names one command; a failure waits out the
 * backoff inside this loop only, so pushes and other reactions go on.
 */
export class ReactionWorker {
  readonly reaction: Reaction;
  state: ReactionState = 'starting';
  checkpoint = 0;
  attempts = 0;
  failures = 0;
  delivered = 0;
  parkedCount = 0;
  lastError: { message: string; at: number } | null = null;
  nextRetryAt: number | null = null;
  readonly #host: ReactionHost;
  readonly #checkpoints: CheckpointStore;
  readonly #settings: WorkerSettings;
  readonly #signal: AbortSignal;
  readonly #durable: boolean;
  #loaded = false;
  #isolateUntil = 0;
  #redeliver: ParkedEvents[] = [];
  #dirty = true;
  #wake: (() => void) | null = null;

  constructor(
    reaction: Reaction,
    host: ReactionHost,
    checkpoints: CheckpointStore,
    settings: WorkerSettings,
    signal: AbortSignal,
  ) {
    this.reaction = reaction;
    this.#host = host;
    this.#checkpoints = checkpoints;
    this.#settings = settings;
    this.#signal = signal;
    this.#durable = reaction.checkpoint !== 'memory';
    signal.addEventListener('abort', () => this.notify(), { once: true });
  }

  /** New events may be in the feed: skip the rest of the idle wait. */
  notify(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  /** Queues the reaction's parked entries for re-delivery; returns how many. */
  resume(entries: ParkedEvents[]): number {
    const queued = new Set(this.#redeliver.map((e) => e.id));
    const fresh = entries.filter((e) => !queued.has(e.id));
    this.#redeliver.push(...fresh);
    this.notify();
    return fresh.length;
  }

  async run(): Promise<void> {
    while (!this.#signal.aborted) {
      this.#dirty = false;
      let progressed: boolean;
      try {
        progressed = await this.#step();
      } catch (error) {
        // The feed or the checkpoint store failed, not the handler: wait a poll and try again.
        this.#record(error);
        this.attempts--;
        await this.#settings.clock.sleep(this.#settings.pollMs, this.#signal);
        continue;
      }
      if (!progressed) await this.#idle();
    }
    this.state = 'stopped';
  }

  async #step(): Promise<boolean> {
    if (this.#checkpoints.lease && !(await this.#checkpoints.lease(this.reaction.name))) {
      // Another node runs it and moves the shared checkpoint: read it afresh once this one leads.
      // Pushes do not wake a standby: it asks for the lease once a poll, not once a push.
      this.state = 'standby';
      this.#loaded = false;
      await this.#settings.clock.sleep(this.#settings.pollMs, this.#signal);
      return true;
    }
    if (!this.#loaded) {
      this.checkpoint = this.#durable ? await this.#checkpoints.get(this.reaction.name) : 0;
      this.parkedCount = (await this.#checkpoints.parked(this.reaction.name)).length;
      this.#loaded = true;
    }
    const parked = this.#redeliver[0];
    if (parked) return this.#redeliverParked(parked);
    const batch = await readFeed(this.#host.store, this.checkpoint, this.reaction, {
      maxEvents: this.reaction.batchSize ?? this.#settings.batchSize,
      maxUnits: this.checkpoint < this.#isolateUntil ? 1 : Number.POSITIVE_INFINITY,
    });
    if (batch.through === null) {
      this.state = 'idle';
      return false;
    }
    if (batch.events.length > 0) {
      const delivery = await this.#deliver(batch.events);
      if (!delivery.ok) return this.#failed(delivery.error, batch, batch.through);
    }
    await this.#advance(batch.through);
    return true;
  }

  async #failed(error: unknown, batch: FeedBatch, through: number): Promise<boolean> {
    this.#record(error);
    const unit = batch.units.length === 1 ? batch.units[0] : undefined;
    if (unit && this.attempts >= this.#maxAttempts()) {
      await this.#checkpoints.park(
        {
          reaction: this.reaction.name,
          auditId: unit.auditId,
          scope: unit.scope,
          events: unit.events,
          error: this.lastError?.message ?? '',
          attempts: this.attempts,
          parkedAt: this.#settings.clock.now(),
        },
        this.#durable ? through : undefined,
      );
      this.checkpoint = through;
      this.parkedCount++;
      this.attempts = 0;
      return true;
    }
    this.#isolateUntil = Math.max(this.#isolateUntil, through);
    await this.#backoff();
    return true;
  }

  async #redeliverParked(entry: ParkedEvents): Promise<boolean> {
    const delivery = await this.#deliver(entry.events);
    if (delivery.ok) {
      await this.#checkpoints.unpark(this.reaction.name, entry.id);
      this.#redeliver.shift();
      this.parkedCount = Math.max(0, this.parkedCount - 1);
      return true;
    }
    this.#record(delivery.error);
    if (this.attempts >= this.#maxAttempts()) {
      const { message } = this.lastError ?? { message: '' };
      await this.#checkpoints.park({ ...entry, error: message, attempts: this.attempts, parkedAt: this.#now() });
      this.#redeliver.shift();
      this.attempts = 0;
      return true;
    }
    await this.#backoff();
    return true;
  }

  async #deliver(events: ReadonlyArray<WireEvent>): Promise<Delivery> {
    this.state = 'delivering';
    try {
      await this.reaction.handle(events, this.#context());
      this.delivered += events.length;
      this.attempts = 0;
      return { ok: true };
    } catch (error) {
      return { ok: false, error };
    }
  }

  async #advance(through: number): Promise<void> {
    if (this.#durable) await this.#checkpoints.save(this.reaction.name, through);
    this.checkpoint = through;
  }

  async #backoff(): Promise<void> {
    this.state = 'retrying';
    const delay = backoffDelay(this.attempts, this.#settings.backoff);
    this.nextRetryAt = this.#now() + delay;
    await this.#settings.clock.sleep(delay, this.#signal);
    this.nextRetryAt = null;
  }

  async #idle(): Promise<void> {
    if (this.#dirty || this.#signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.#settings.pollMs);
      timer.unref?.();
      this.#wake = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
    this.#wake = null;
  }

  #record(error: unknown): void {
    this.attempts++;
    this.failures++;
    this.lastError = { message: error instanceof Error ? error.message : String(error), at: this.#now() };
    this.#settings.onError(this.reaction.name, error);
  }

  #context(): ReactionContext {
    const counts = new Map<string, number>();
    let queue: Promise<unknown> = Promise.resolve();
    const name = this.reaction.name;
    return {
      reaction: name,
      command: (cause, command, args) => {
        const key = `${cause.scope}\u0000${cause.seq}\u0000${command}`;
        const n = counts.get(key) ?? 0;
        counts.set(key, n + 1);
        const id = sagaCommandId(name, cause, command, n);
        // One at a time: each takes the client's next seq.
        const issued = queue.then(() => issueSagaCommand(this.#host, name, { id, name: command, args, at: cause.at }));
        queue = issued.catch(() => undefined);
        return issued;
      },
      read: (scope) => this.#host.read(scope),
    };
  }

  #maxAttempts(): number {
    return this.reaction.maxAttempts ?? this.#settings.maxAttempts;
  }

  #now(): number {
    return this.#settings.clock.now();
  }
}
