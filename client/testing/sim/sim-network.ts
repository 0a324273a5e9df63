import type { LiveMessage, PullResponse, PushRequest, PushResponse } from '../../../shared/index.ts';
import type { LiveHandlers, Transport, TransportFailure, TransportResult } from '../../sync/index.ts';
import { httpTransport } from '../../sync/index.ts';
import type { Prng } from './prng.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** The faults of a network, as probabilities and ranges; all drawn from the one PRNG. */
export interface NetworkFaults {
  /** Virtual milliseconds each hop (request, reply, live frame) takes, drawn in [min, max]. */
  readonly latency: readonly [number, number];
  /** A request is lost before the server. */
  readonly dropRequest: number;
  /** The server handled the request, but the reply is lost (the reply path is cut). */
  readonly dropReply: number;
  /** A push is delivered more than once: this often, as 2…`maxCopies` copies. */
  readonly duplicatePush: number;
  /** A live frame is lost, and with it the connection (the client reconnects and pulls). */
  readonly dropLive: number;
  /** A live frame is delivered more than once. */
  readonly duplicateLive: number;
  /** Copies of a duplicated push or frame: 2 … this many. */
  readonly maxCopies: number;
  /** A call with no reply fails as a timeout after this long. */
  readonly timeoutMs: number;
}

export const CALM: NetworkFaults = {
  latency: [1, 5],
  dropRequest: 0,
  dropReply: 0,
  duplicatePush: 0,
  dropLive: 0,
  duplicateLive: 0,
  maxCopies: 1,
  timeoutMs: 1000,
};

/** Which directions of one client's link carry traffic. */
export interface Link {
  /** client → server */
  up: boolean;
  /** server → client */
  down: boolean;
}

/** The side of the network a transport belongs to: one engine incarnation of one client. */
export interface Endpoint {
  readonly name: string;
  readonly auth: string;
  /** The incarnation died: its replies and frames go nowhere, its new calls never leave. */
  dead(): boolean;
  /** Called as a push leaves (`sent`) and as its reply arrives (`replied`); may crash the endpoint. */
  onPush?(stage: 'send' | 'reply', request: PushRequest): void;
}

/**
 * The simulated network between N engines and one server (TEST-PLAN §2.1): every call is a real
 * HTTP request to the server's `fetch` (a Hono app's `app.request`), so the wire format and
 * validation run, but when it arrives and whether it or its answer arrive at all is decided on the
 * virtual clock by the PRNG. Live frames are read from the server's real SSE stream and then
 * delivered one by one through the same faults: dropped, duplicated and reordered (each copy takes
 * its own latency). Partitions are per client and per direction; cutting a direction ends that
 * client's open streams a little later, as a broken TCP connection does.
 *
 * Determinism: the server runs each delivered call to completion (its awaits drained by the
 * simulation's step loop) before virtual time moves on, so the order of everything the server
 * sees is a function of the seed.
 */
export class SimNetwork {
  faults: NetworkFaults;
  readonly #clock: VirtualClock;
  readonly #rng: Prng;
  readonly #fetch: (request: Request) => Promise<Response>;
  readonly #log: (line: string) => void;
  readonly #links = new Map<string, Link>();
  readonly #streams = new Map<string, Set<SimStream>>();
  /** Push requests the server received, copies included, by client name: the oracle's record. */
  readonly delivered: PushRequest[] = [];

  constructor(options: {
    clock: VirtualClock;
    rng: Prng;
    fetch: (request: Request) => Promise<Response>;
    log: (line: string) => void;
    faults?: NetworkFaults;
  }) {
    this.#clock = options.clock;
    this.#rng = options.rng;
    this.#fetch = options.fetch;
    this.#log = options.log;
    this.faults = options.faults ?? CALM;
  }

  link(name: string): Link {
    let link = this.#links.get(name);
    if (!link) {
      link = { up: true, down: true };
      this.#links.set(name, link);
    }
    return link;
  }

  /** Sets which directions of `name`'s link work; a cut direction ends its live streams soon. */
  setLink(name: string, up: boolean, down: boolean): void {
    const link = this.link(name);
    const cut = (link.up && !up) || (link.down && !down);
    link.up = up;
    link.down = down;
    this.#log(`link ${name} up=${up} down=${down}`);
    if (!cut) return;
    for (const stream of [...(this.#streams.get(name) ?? [])]) {
      this.#clock.setTimeout(() => stream.fail('connection reset'), this.#rng.int(0, 200));
    }
  }

  /** Ends every open live stream (the end of a run), so the server lets go of them. */
  closeAll(): void {
    for (const set of this.#streams.values()) for (const stream of [...set]) stream.stop();
  }

  /** The transport of one endpoint. */
  transport(endpoint: Endpoint): Transport {
    const inner = httpTransport({ url: 'http://weft.sim', auth: endpoint.auth, fetch: (r) => this.#fetch(r) });
    return {
      push: (request) => this.#push(endpoint, inner, request),
      pull: (scope, after, limit) =>
        this.#call(endpoint, `pull ${scope}>${after}`, () => inner.pull(scope, after, limit)) as Promise<
          TransportResult<PullResponse>
        >,
      live: (cursors, handlers) => this.#live(endpoint, inner, cursors, handlers),
    };
  }

  #latency(): number {
    const [min, max] = this.faults.latency;
    return this.#rng.int(min, max);
  }

  #copies(p: number): number {
    return this.#rng.chance(p) ? this.#rng.int(2, Math.max(2, this.faults.maxCopies)) : 1;
  }

  #push(endpoint: Endpoint, inner: Transport, request: PushRequest): Promise<TransportResult<PushResponse>> {
    if (endpoint.dead()) return never();
    endpoint.onPush?.('send', request);
    if (endpoint.dead()) return never();
    const seqs = request.commands.map((c) => c.seq).join(',');
    const copies = this.#copies(this.faults.duplicatePush);
    return this.#exchange(endpoint, `push [${seqs}]`, copies, async () => {
      this.delivered.push(request);
      const result = await inner.push(request);
      return result;
    }).then((result) => {
      // Reached only when the reply arrived at a live endpoint.
      endpoint.onPush?.('reply', request);
      return endpoint.dead() ? never<TransportResult<PushResponse>>() : result;
    });
  }

  #call<T>(endpoint: Endpoint, what: string, run: () => Promise<TransportResult<T>>): Promise<TransportResult<T>> {
    if (endpoint.dead()) return never();
    return this.#exchange(endpoint, what, 1, run);
  }

  /**
   * One request/reply over the faulty link: each copy travels (or is lost), runs on the server
   * at its arrival, and its reply travels back (or is lost); the caller gets the first reply that
   * arrives, or a timeout.
   */
  #exchange<T>(
    endpoint: Endpoint,
    what: string,
    copies: number,
    run: () => Promise<TransportResult<T>>,
  ): Promise<TransportResult<T>> {
    const link = this.link(endpoint.name);
    return new Promise((resolve) => {
      let answered = false;
      const answer = (result: TransportResult<T>) => {
        if (answered || endpoint.dead()) return;
        answered = true;
        this.#clock.clearTimeout(timeout);
        resolve(result);
      };
      const timeout = this.#clock.setTimeout(() => {
        this.#log(`${endpoint.name} ${what} timed out`);
        answer({ ok: false, failure: { kind: 'network', message: 'timeout' } });
      }, this.faults.timeoutMs);
      for (let copy = 0; copy < copies; copy++) {
        if (!link.up || this.#rng.chance(this.faults.dropRequest)) {
          this.#log(`${endpoint.name} ${what} lost on the way`);
          continue;
        }
        this.#clock.setTimeout(() => {
          if (!link.up) {
            this.#log(`${endpoint.name} ${what} lost on the way`);
            return;
          }
          this.#log(`${endpoint.name} ${what} arrives${copies > 1 ? ` (copy ${copy + 1}/${copies})` : ''}`);
          void run().then((result) => {
            if (!link.down || this.#rng.chance(this.faults.dropReply)) {
              this.#log(`${endpoint.name} ${what} reply lost`);
              return;
            }
            this.#clock.setTimeout(() => {
              if (!link.down) return this.#log(`${endpoint.name} ${what} reply lost`);
              this.#log(`${endpoint.name} ${what} reply ${result.ok ? 'ok' : describe(result.failure)}`);
              answer(result);
            }, this.#latency());
          });
        }, this.#latency());
      }
    });
  }

  #live(
    endpoint: Endpoint,
    inner: Transport,
    cursors: Readonly<Record<string, number>>,
    handlers: LiveHandlers,
  ): () => void {
    const stream = new SimStream(endpoint, handlers, () => this.#streams.get(endpoint.name)?.delete(stream));
    if (endpoint.dead()) return () => undefined;
    const set = this.#streams.get(endpoint.name) ?? new Set();
    this.#streams.set(endpoint.name, set);
    set.add(stream);
    const link = this.link(endpoint.name);
    const what = `live ${Object.entries(cursors)
      .map(([s, n]) => `${s}:${n}`)
      .join(',')}`;
    this.#clock.setTimeout(() => {
      if (stream.over) return;
      if (!link.up || !link.down || this.#rng.chance(this.faults.dropRequest)) {
        this.#log(`${endpoint.name} ${what} could not connect`);
        this.#clock.setTimeout(() => stream.fail('could not connect'), this.faults.timeoutMs);
        return;
      }
      this.#log(`${endpoint.name} ${what} connects`);
      stream.closeInner = inner.live(cursors, {
        open: () => stream.open(),
        message: (message) => {
          if (stream.over) return;
          if (!link.down) return this.#log(`${endpoint.name} live ${frame(message)} lost`);
          if (this.#rng.chance(this.faults.dropLive)) {
            // On one TCP connection a frame is lost only with the connection: it breaks soon after.
            this.#log(`${endpoint.name} live ${frame(message)} lost, the connection breaks`);
            this.#clock.setTimeout(() => stream.fail('connection broke'), this.#latency());
            stream.broken = true;
            return;
          }
          if (stream.broken) return;
          const copies = this.#copies(this.faults.duplicateLive);
          for (let copy = 0; copy < copies; copy++) {
            this.#clock.setTimeout(() => {
              if (stream.over || !link.down) return;
              this.#log(`${endpoint.name} live ${frame(message)} arrives`);
              stream.deliver(message);
            }, this.#latency());
          }
        },
        closed: (failure) => {
          // After every frame already on its way (the latency bound), as on one TCP connection.
          this.#clock.setTimeout(() => stream.end(failure), this.faults.latency[1] + 1);
        },
      });
    }, this.#latency());
    return () => stream.stop();
  }
}

/** One live stream as the client sees it: `closed` once, never after the client stopped it. */
class SimStream {
  over = false;
  /** A frame was lost: nothing more gets through before the connection fails. */
  broken = false;
  closeInner: () => void = () => undefined;
  readonly #endpoint: Endpoint;
  readonly #handlers: LiveHandlers;
  readonly #forget: () => void;

  constructor(endpoint: Endpoint, handlers: LiveHandlers, forget: () => void) {
    this.#endpoint = endpoint;
    this.#handlers = handlers;
    this.#forget = forget;
  }

  open(): void {
    if (!this.#gone()) this.#handlers.open();
  }

  deliver(message: LiveMessage): void {
    if (!this.#gone()) this.#handlers.message(message);
  }

  /** The network broke the connection. */
  fail(message: string): void {
    this.end({ kind: 'network', message });
  }

  end(failure: TransportFailure | null): void {
    if (this.over) return;
    this.#finish();
    if (!this.#endpoint.dead()) this.#handlers.closed(failure);
  }

  /** The client closed it. */
  stop(): void {
    if (!this.over) this.#finish();
  }

  #finish(): void {
    this.over = true;
    this.#forget();
    this.closeInner();
  }

  #gone(): boolean {
    if (this.#endpoint.dead() && !this.over) this.#finish();
    return this.over;
  }
}

function frame(message: LiveMessage): string {
  const first = message.events[0]?.seq ?? 0;
  const last = message.events.at(-1)?.seq ?? 0;
  return `${message.scope}[${first}..${last}]`;
}

function describe(failure: TransportFailure): string {
  return failure.kind === 'network' ? `network ${failure.message}` : `${failure.status} ${failure.code}`;
}

function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
