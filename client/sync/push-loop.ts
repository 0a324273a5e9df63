import type { PushCommand } from '../../shared/index.ts';
import { backoffDelay, deferred, Waker } from '../base/index.ts';
import type { ReadLoop } from './read-loop.ts';
import type { ResolvedSyncOptions, SyncHost } from './sync-host.ts';
import {
  describeFailure,
  type FailureAction,
  failureAction,
  type Transport,
  type TransportFailure,
  untilStopped,
} from './transport.ts';

/**
 * The push side of sync: the outbox's durable commands, oldest first, in batches, with one
 * request in flight at a time, so the server sees this client's commands in seq order.
 *
 * - Transient failures (network, 5xx, 429, auth) retry the same batch with backoff.
 * - A batch the server refuses as a whole (400, 404, 413, 409 idempotency_conflict) is cut
 *   before the command it names, or halved, until the one command it refuses is alone; that
 *   command settles as rejected here, so a poison command never wedges the queue.
 * - A `413` names the limit it enforces: batches stay under it from then on (adaptive
 *   batches), so only a command too large on its own is ever refused again.
 * - `seq_gap` and `client_unknown` renumber the unanswered commands, and `cursor_ahead`
 *   re-bootstraps scopes; the outbox is never dropped. A second desync in a row backs off.
 * - `upgrade_required` stops pushing until the engine restarts (after an app upgrade).
 */
export class PushLoop {
  readonly #transport: Transport;
  readonly #host: SyncHost;
  readonly #options: ResolvedSyncOptions;
  readonly #reader: ReadLoop;
  readonly #waker: Waker;
  #loop: Promise<void> | null = null;
  #running = false;
  #attempt = 0;
  #blocked = false;
  /** The batch size: halved while isolating a refused command, then grown back. */
  #limit: number;
  /** Desync answers in a row: the second backs off. */
  #desyncs = 0;
  /** In a backoff sleep, which only `stop`, going online or the timer ends. */
  #backingOff = false;
  /** The server's limits as its `413` answers taught them (commands per push, body bytes). */
  #countCap = Number.POSITIVE_INFINITY;
  #bytesCap = Number.POSITIVE_INFINITY;
  readonly #halted = deferred();
  /** Reports whether a push is in flight (for `status.syncing`). */
  busy: (on: boolean) => void = () => undefined;

  constructor(transport: Transport, host: SyncHost, options: ResolvedSyncOptions, reader: ReadLoop) {
    this.#transport = transport;
    this.#host = host;
    this.#options = options;
    this.#reader = reader;
    this.#waker = new Waker(options.clock);
    this.#limit = options.maxBatch;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#halted.resolve();
    this.#waker.wake();
    await this.#loop;
  }

  /**
   * New commands are durable, or (`fresh`) the network came back: stop waiting. Only a fresh
   * wake cuts a backoff short: a command made durable while the server is unreachable joins the
   * next attempt, so typing offline does not send a request per command.
   */
  wake(fresh = false): void {
    if (fresh) this.#attempt = 0;
    else if (this.#backingOff) return;
    this.#waker.wake();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        await this.#step();
      } catch (error) {
        // A bug, not a network failure: report it and back off rather than spin or die.
        this.#host.report({ lastError: { code: 'internal', message: String(error), at: this.#options.clock.now() } });
        await this.#backoff();
      }
    }
  }

  /** One push and what follows from its answer. */
  async #step(): Promise<void> {
    const maxBytes = Math.min(this.#options.maxBatchBytes, this.#bytesCap);
    const batch = this.#blocked ? [] : this.#host.pushable(this.#limit, maxBytes);
    if (batch.length === 0) return this.#waker.sleep();
    this.busy(true);
    const answer = await untilStopped(
      this.#transport.push({ clientId: this.#host.clientId, appVersion: this.#host.appVersion, commands: batch }),
      this.#halted.promise,
    ).finally(() => this.busy(false));
    if (!this.#running) return;
    if (answer.ok) {
      this.#host.report({ online: true });
      const { behind, written } = this.#host.applyPushResults(batch, answer.value.results);
      if (behind.length > 0) this.#reader.poke();
      await this.#unlessStopped(written);
      this.#attempt = 0;
      this.#desyncs = 0;
      this.#limit = Math.min(this.#maxLimit(), this.#limit * 2);
      return;
    }
    const { failure } = answer;
    const action = failureAction(failure);
    this.#host.report({
      online: failure.kind !== 'network',
      lastError: { ...describeFailure(failure), at: this.#options.clock.now() },
    });
    if (action === 'retry') return this.#backoff();
    if (action === 'upgrade') {
      this.#blocked = true;
      this.#host.report({ upgradeRequired: true });
      return;
    }
    if (action === 'permanent') {
      if (!this.#learn(batch, failure)) this.#limit = await this.#isolate(batch, failure);
      return;
    }
    if (this.#desyncs++ > 0) await this.#backoff();
    if (this.#running) await this.#resync(action, failure);
  }

  /**
   * A batch refused as a whole: push the commands before the culprit (named by the server's
   * `commandId`, else found by halving), and settle the culprit alone as rejected. Returns the
   * next batch limit.
   */
  async #isolate(batch: ReadonlyArray<PushCommand>, failure: TransportFailure): Promise<number> {
    const named = failure.kind === 'http' ? batch.findIndex((command) => command.id === failure.details.commandId) : -1;
    const [first] = batch;
    if (named > 0) return named;
    if (named === -1 && batch.length > 1) return Math.ceil(batch.length / 2);
    if (first) {
      const { code, message } = describeFailure(failure);
      await this.#unlessStopped(this.#host.rejectLocally(first.id, code, message));
    }
    return this.#maxLimit();
  }

  #maxLimit(): number {
    return Math.min(this.#options.maxBatch, this.#countCap);
  }

  /**
   * A `413` for a batch of several commands carries the limit it broke in `limit`: below the
   * batch's length it is the command count, else the body size in bytes. Returns whether that
   * tightened a cap (the same commands then go again, in smaller batches); a refusal that
   * teaches nothing new is isolated as usual.
   */
  #learn(batch: ReadonlyArray<PushCommand>, failure: TransportFailure): boolean {
    if (failure.kind !== 'http' || failure.code !== 'payload_too_large' || batch.length < 2) return false;
    const limit = failure.details.limit;
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) return false;
    if (limit < batch.length) {
      if (limit >= this.#countCap) return false;
      this.#countCap = limit;
      this.#limit = Math.min(this.#limit, limit);
      return true;
    }
    // Keep a margin for the envelope the batch estimate leaves out (client id, app version).
    const bytes = limit - Math.min(4096, Math.floor(limit / 8));
    if (bytes >= Math.min(this.#options.maxBatchBytes, this.#bytesCap)) return false;
    this.#bytesCap = bytes;
    return true;
  }

  async #resync(action: FailureAction, failure: TransportFailure): Promise<void> {
    const details = failure.kind === 'http' ? failure.details : {};
    const expected = typeof details.expected === 'number' ? details.expected : null;
    if (action === 'seq_gap' && expected !== null) await this.#unlessStopped(this.#host.renumber(expected));
    else if (action === 'client_unknown') await this.#unlessStopped(this.#host.renumber(expected ?? 1));
    else if (action === 'cursor_ahead') {
      const scope = details.scope;
      const scopes = typeof scope === 'string' ? [scope] : Object.keys(this.#host.cursors());
      await this.#unlessStopped(this.#reader.rebootstrap(scopes));
    } else await this.#backoff();
  }

  /** Waits for a storage write or a re-bootstrap, but never past `stop()` (a write may retry for long). */
  async #unlessStopped(work: Promise<void>): Promise<void> {
    await Promise.race([work, this.#halted.promise]);
  }

  async #backoff(): Promise<void> {
    this.#attempt++;
    this.#backingOff = true;
    try {
      await this.#waker.sleep(backoffDelay(this.#attempt, this.#options.random, this.#options.backoff));
    } finally {
      this.#backingOff = false;
    }
  }
}
