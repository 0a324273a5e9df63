import type { AnyApp } from '../../../shared/index.ts';
import type { SyncOptions } from '../../sync/index.ts';
import { fnv1a, Prng } from './prng.ts';
import { SimClient } from './sim-client.ts';
import { CALM, type NetworkFaults, SimNetwork } from './sim-network.ts';
import { VirtualClock } from './virtual-clock.ts';

export interface SimulationOptions<A extends AnyApp> {
  readonly seed: number;
  readonly app: A;
  /** The server under test: a Hono app's `request` (e.g. `createServer(…).request`). */
  readonly fetch: (request: Request) => Response | Promise<Response>;
  readonly clients: number;
  readonly scopes: ReadonlyArray<string>;
  readonly faults?: NetworkFaults;
  readonly syncOptions?: Omit<SyncOptions, 'clock' | 'random'>;
  readonly maxCommitMs?: number;
  /** Keep the event log (default true); the trace hash is computed either way. */
  readonly keepLog?: boolean;
}

/**
 * The deterministic simulator (TEST-PLAN §2.1 item 1): one seeded PRNG, one virtual clock, a
 * `SimNetwork` between N engines and one real server, and a step loop.
 *
 * The step loop fires one timer at a time and then drains the process before the next: every
 * microtask, and every `setImmediate` the server's SQLite group commit or the in-process streams
 * need, until no server call is in flight. So each step runs to completion (the server handles a
 * delivered request fully, the engine reacts fully) before virtual time moves, and the order of
 * steps depends only on the seed.
 *
 * What is deterministic: the order in which timers fire, every PRNG draw, every request the
 * server sees and when, every frame and reply, every crash; hence the event log and its hash.
 * What is not: real time (the server's request log `ms`, rate-limit buckets and metrics use
 * `performance.now()`, so tests raise the rate limits out of reach), and the `AbortSignal`
 * timeouts inside `httpTransport`, which never fire because each call completes within a step.
 */
export class Simulation<A extends AnyApp = AnyApp> {
  readonly seed: number;
  readonly rng: Prng;
  readonly clock = new VirtualClock();
  readonly network: SimNetwork;
  readonly clients: SimClient<A>[] = [];
  readonly log: string[] = [];
  /** Scheduled actions that threw: a test asserts there are none. */
  readonly errors: unknown[] = [];
  readonly #keepLog: boolean;
  #hash = 0x811c9dc5;
  #steps = 0;
  #inflight = 0;

  readonly options: SimulationOptions<A>;

  constructor(options: SimulationOptions<A>) {
    this.options = options;
    this.seed = options.seed;
    this.rng = new Prng(options.seed);
    this.#keepLog = options.keepLog ?? true;
    const fetch = async (request: Request): Promise<Response> => {
      this.#inflight++;
      try {
        return await options.fetch(request);
      } finally {
        this.#inflight--;
      }
    };
    this.network = new SimNetwork({
      clock: this.clock,
      rng: this.rng,
      fetch,
      log: (line) => this.record(line),
      faults: options.faults ?? CALM,
    });
    for (let i = 0; i < options.clients; i++) {
      this.clients.push(
        new SimClient<A>({
          name: `c${i}`,
          app: options.app,
          scopes: options.scopes,
          clock: this.clock,
          rng: this.rng,
          network: this.network,
          log: (line) => this.record(line),
          ...(options.syncOptions ? { syncOptions: options.syncOptions } : {}),
          ...(options.maxCommitMs === undefined ? {} : { maxCommitMs: options.maxCommitMs }),
        }),
      );
    }
  }

  /** The hash of every line logged so far: two runs of one seed must agree on it. */
  get traceHash(): string {
    return this.#hash.toString(16).padStart(8, '0');
  }

  get steps(): number {
    return this.#steps;
  }

  /** Appends one line, stamped with virtual time, to the event log. */
  record(line: string): void {
    const stamped = `${this.clock.now() - 1_700_000_000_000} ${line}`;
    this.#hash = fnv1a(`${stamped}\n`, this.#hash);
    if (this.#keepLog) this.log.push(stamped);
  }

  /** Opens every client's first engine. */
  async start(): Promise<void> {
    for (const client of this.clients) {
      await client.open();
      await this.settle();
    }
  }

  /** Schedules `action` at virtual time now + `ms`; it may be async (the step loop drains it). */
  at(ms: number, action: () => void | Promise<void>): void {
    this.clock.setTimeout(() => {
      void this.#track(Promise.resolve().then(action));
    }, ms);
  }

  /** Runs steps until virtual time passes `now + ms` or no timer is left. */
  async runFor(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      const next = this.clock.nextAt();
      if (next === null || next > end) return;
      await this.step();
    }
  }

  /** Runs steps until `condition` holds; throws after `maxMs` of virtual time. */
  async runUntil(condition: () => boolean, what: string, maxMs: number): Promise<void> {
    const end = this.clock.now() + maxMs;
    while (!condition()) {
      const next = this.clock.nextAt();
      if (next === null) throw new Error(`${what}: nothing left to run (seed ${this.seed})`);
      if (next > end) throw new Error(`${what}: not reached within ${maxMs} virtual ms (seed ${this.seed})`);
      await this.step();
    }
  }

  /** Fires the next timer and drains everything it set off. */
  async step(): Promise<void> {
    this.#steps++;
    this.clock.runNext();
    await this.settle();
  }

  /**
   * Drains the process: microtasks run before any `setImmediate`, so each round empties the
   * microtask queue; rounds repeat while a server call is in flight (SQLite's group commit waits
   * for one), then twice more for the work that its answer sets off.
   */
  async settle(): Promise<void> {
    let quiet = 0;
    while (quiet < 3) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      quiet = this.#inflight > 0 ? 0 : quiet + 1;
    }
  }

  #track(work: Promise<void>): Promise<void> {
    this.#inflight++;
    return work
      .catch((error: unknown) => {
        this.record(`action failed: ${String(error)}`);
        this.errors.push(error);
      })
      .finally(() => {
        this.#inflight--;
      });
  }
}
