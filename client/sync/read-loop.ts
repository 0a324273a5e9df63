import type { WireEvent } from '../../shared/index.ts';
import { backoffDelay, deferred, Waker } from '../base/index.ts';
import type { ResolvedSyncOptions, SyncHost } from './sync-host.ts';
import { describeFailure, failureAction, type Transport, type TransportFailure, untilStopped } from './transport.ts';

/** A live stream open this long made progress, even if it carried nothing (a quiet scope). */
const QUIET_STREAM_MS = 10_000;

/**
 * The read side of sync. Each cycle: re-bootstrap the scopes that asked for it, catch up every
 * scope by pulling pages, then follow the live stream from the cursors reached, until it ends
 * or misses an event. A cycle that made no progress backs off before the next one, so a
 * server that fails or closes streams at once is never hammered.
 *
 * A scope this client holds nothing of, or re-bootstraps, starts from the server's snapshot
 * when its stream is long (`snapshotThreshold`), so initial sync costs the current state, not
 * all of history (G15); the events after the snapshot's seq are pulled as usual. The client
 * then holds no events before that seq.
 */
export class ReadLoop {
  readonly #transport: Transport;
  readonly #host: SyncHost;
  readonly #options: ResolvedSyncOptions;
  readonly #waker: Waker;
  readonly #resets = new Map<string, () => void>();
  readonly #resetDone = new Map<string, Promise<void>>();
  #loop: Promise<void> | null = null;
  #running = false;
  #attempt = 0;
  #progress = 0;
  /** The server has no snapshot call (an older server answered 404): pull only. */
  #noSnapshots = false;
  /** Scopes whose stream was shorter than the threshold when asked: pull them. */
  readonly #short = new Set<string>();
  readonly #halted = deferred();
  /** Ends the current live stream and its cycle; null when no stream is open. */
  #endLive: ((failure: TransportFailure | null) => void) | null = null;
  /** Reports whether a catch-up is running (for `status.syncing`). */
  busy: (on: boolean) => void = () => undefined;

  constructor(transport: Transport, host: SyncHost, options: ResolvedSyncOptions) {
    this.#transport = transport;
    this.#host = host;
    this.#options = options;
    this.#waker = new Waker(options.clock);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#halted.resolve();
    this.#endLive?.(null);
    this.#waker.wake();
    await this.#loop;
    for (const resolve of this.#resets.values()) resolve();
    this.#resets.clear();
  }

  /** Cuts a backoff short; `fresh` also forgets past failures (the network came back). */
  wake(fresh = false): void {
    if (fresh) this.#attempt = 0;
    this.#waker.wake();
  }

  /** Some scope is behind what a push answered: the live stream will bring it, else pull now. */
  poke(): void {
    if (!this.#endLive) this.wake(true);
  }

  /** Reloads these scopes' confirmed state from the server's streams (after `cursor_ahead`). */
  rebootstrap(scopes: ReadonlyArray<string>): Promise<void> {
    const waits = scopes.map((scope) => this.#requestReset(scope));
    this.#endLive?.(null);
    this.#waker.wake();
    return Promise.all(waits).then(() => undefined);
  }

  /** Waits for a storage write, but never past `stop()` (a write may retry for long). */
  async #unlessStopped(work: Promise<void>): Promise<void> {
    await Promise.race([work, this.#halted.promise]);
  }

  #requestReset(scope: string): Promise<void> {
    const pending = this.#resetDone.get(scope);
    if (pending !== undefined) return pending;
    const done = new Promise<void>((resolve) => this.#resets.set(scope, resolve));
    this.#resetDone.set(scope, done);
    return done;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const progress = this.#progress;
      const failure = await this.#cycle().catch(
        (error: unknown): TransportFailure => ({
          kind: 'http',
          status: 500,
          code: 'internal',
          message: String(error),
          details: {},
        }),
      );
      if (!this.#running) break;
      if (failure) this.#failed(failure);
      if (failure || progress === this.#progress) this.#attempt++;
      else this.#attempt = 0;
      if (this.#attempt > 0)
        await this.#waker.sleep(backoffDelay(this.#attempt, this.#options.random, this.#options.backoff));
    }
  }

  async #cycle(): Promise<TransportFailure | null> {
    for (const [scope, resolve] of [...this.#resets]) {
      const failure = await this.#reset(scope);
      if (failure) return failure;
      if (!this.#running) return null;
      this.#resets.delete(scope);
      this.#resetDone.delete(scope);
      this.#progress++;
      resolve();
    }
    this.busy(true);
    try {
      for (const scope of Object.keys(this.#host.cursors())) {
        const failure = await this.#catchUp(scope);
        if (failure || !this.#running) return failure;
      }
    } finally {
      this.busy(false);
    }
    this.#host.report({ online: true });
    return this.#follow();
  }

  /** Follows the live stream until it ends; resolves with why. */
  #follow(): Promise<TransportFailure | null> {
    return new Promise((resolve) => {
      const opened = this.#options.clock.now();
      let close = (): void => undefined;
      const end = (failure: TransportFailure | null) => {
        if (this.#endLive !== end) return;
        this.#endLive = null;
        close();
        if (this.#options.clock.now() - opened >= QUIET_STREAM_MS) this.#progress++;
        resolve(failure);
      };
      this.#endLive = end;
      close = this.#transport.live(this.#host.cursors(), {
        open: () => this.#host.report({ online: true }),
        message: ({ scope, events }) => {
          const { gap } = this.#host.ingest(scope, events);
          if (gap)
            end(null); // missed an event: the next cycle pulls it
          else this.#progress++;
        },
        closed: (failure) => end(failure),
      });
    });
  }

  /** Replaces a scope's confirmed state by the server's (after `cursor_ahead`). */
  async #reset(scope: string): Promise<TransportFailure | null> {
    // Commands the old server applied may be missing from a restored one, and only their
    // events can tell: with such commands pending, pull the whole stream.
    if (!this.#host.hasAnswered(scope)) {
      const tried = await this.#trySnapshot(scope, true);
      if (tried !== 'pull') return tried === 'loaded' ? null : tried;
    }
    const pulled = await this.#pullAll(scope);
    if (!Array.isArray(pulled)) return pulled;
    if (!this.#running) return null;
    await this.#unlessStopped(this.#options.prepare(scope));
    if (!this.#running) return null;
    await this.#unlessStopped(this.#host.replaceScope(scope, pulled));
    return null;
  }

  /**
   * Loads the scope's snapshot when its stream is long: `loaded`, or `pull` when the client
   * should pull events instead (a short stream, an older server, rows this app refuses).
   * Without `reset`, only while the scope still has no confirmed event at all.
   */
  async #trySnapshot(scope: string, reset: boolean): Promise<'loaded' | 'pull' | TransportFailure> {
    const threshold = this.#options.snapshotThreshold;
    const snapshot = this.#transport.snapshot?.bind(this.#transport);
    if (!snapshot || this.#noSnapshots || !Number.isFinite(threshold)) return 'pull';
    if (!reset && this.#short.has(scope)) return 'pull';
    const answer = await untilStopped(snapshot(scope, Math.max(1, Math.ceil(threshold))), this.#halted.promise);
    if (!answer.ok) {
      if (answer.failure.kind !== 'http' || answer.failure.status !== 404) return answer.failure;
      this.#noSnapshots = true; // a server without the route: ask no more
      return 'pull';
    }
    const { seq, rows } = answer.value;
    if (!this.#running || answer.value.scope !== scope) return 'pull';
    if (rows === null) {
      this.#short.add(scope);
      return 'pull';
    }
    // Events confirmed meanwhile (a push answer): catching up from them is cheaper and exact.
    if (!reset && this.#host.cursor(scope) !== 0) return 'pull';
    await Promise.race([this.#options.prepare(scope), this.#halted.promise]);
    if (!this.#running) return 'pull';
    const refused = await Promise.race([this.#host.loadSnapshot(scope, seq, rows), this.#halted.promise]);
    if (typeof refused === 'string') {
      const at = this.#options.clock.now();
      this.#host.report({ lastError: { code: 'bad_response', message: `snapshot of ${scope}: ${refused}`, at } });
      return 'pull';
    }
    this.#progress++;
    return 'loaded';
  }

  /** Pulls one scope from its cursor to the head, applying page by page. */
  async #catchUp(scope: string): Promise<TransportFailure | null> {
    if (this.#host.cursor(scope) === 0) {
      const tried = await this.#trySnapshot(scope, false);
      if (typeof tried === 'object') return tried;
      if (!this.#running) return null;
    }
    let after = this.#host.cursor(scope);
    let carry: WireEvent[] = [];
    for (;;) {
      const answer = await untilStopped(
        this.#transport.pull(scope, after, this.#options.pullLimit),
        this.#halted.promise,
      );
      if (!answer.ok) return answer.failure;
      // Online: its events (now, or later on the live stream) apply to its rows in memory.
      await this.#unlessStopped(this.#options.prepare(scope));
      if (!this.#running) return null;
      const { events, more } = answer.value;
      let batch = carry.length > 0 ? [...carry, ...events] : events;
      carry = [];
      if (more) {
        // A command's events are applied together: hold back the page's last command.
        const lastId = batch.at(-1)?.commandId;
        let cut = batch.length;
        while (cut > 0 && batch[cut - 1]?.commandId === lastId) cut--;
        if (cut > 0) [batch, carry] = [batch.slice(0, cut), batch.slice(cut)];
      }
      if (batch.length > 0) {
        const { gap, written } = this.#host.ingest(scope, batch);
        await this.#unlessStopped(written);
        if (gap)
          return {
            kind: 'http',
            status: 502,
            code: 'bad_response',
            message: `a pull of ${scope} skipped events`,
            details: {},
          };
        this.#progress++;
      }
      const last = events.at(-1);
      if (!more || !last) return null;
      after = last.seq;
    }
  }

  /** Pulls a scope's whole stream into memory, for a re-bootstrap. */
  async #pullAll(scope: string): Promise<WireEvent[] | TransportFailure> {
    const events: WireEvent[] = [];
    for (;;) {
      const answer = await untilStopped(
        this.#transport.pull(scope, events.at(-1)?.seq ?? 0, this.#options.pullLimit),
        this.#halted.promise,
      );
      if (!answer.ok) return answer.failure;
      for (const event of answer.value.events) events.push(event);
      if (!answer.value.more || answer.value.events.length === 0 || !this.#running) return events;
    }
  }

  #failed(failure: TransportFailure): void {
    const action = failureAction(failure);
    const at = this.#options.clock.now();
    this.#host.report({ online: failure.kind !== 'network', lastError: { ...describeFailure(failure), at } });
    if (action === 'upgrade') this.#host.report({ upgradeRequired: true });
    if (action === 'cursor_ahead') {
      const scope = failure.kind === 'http' ? failure.details.scope : undefined;
      const scopes = typeof scope === 'string' ? [scope] : Object.keys(this.#host.cursors());
      // The next cycle, after this failure's backoff, re-bootstraps them.
      for (const scope of scopes) void this.#requestReset(scope);
    }
  }
}
