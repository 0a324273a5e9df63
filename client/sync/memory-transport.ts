import type { LiveMessage, PushRequest, PushResponse } from '../../shared/index.ts';
import { type Clock, systemClock } from '../base/index.ts';
import { httpTransport } from './http-transport.ts';
import type { LiveHandlers, Transport, TransportFailure, TransportResult } from './transport.ts';

export interface MemoryTransportOptions {
  /** Only the path matters in-process; defaults to `http://weft.test`. */
  readonly url?: string;
  readonly auth?: string;
  readonly clock?: Clock;
}

/**
 * The HTTP transport wired to an in-process handler (a Hono app's `app.request`, a fake
 * server), so tests exercise the real wire format, plus fault injection on top. Faults apply
 * to the calls that follow; each `…Next…(n)` affects the next `n` pushes.
 *
 * @example
 * const transport = new MemoryTransport((request) => app.request(request), { auth: 'demo:ann' });
 * transport.goOffline();
 */
export class MemoryTransport implements Transport {
  readonly #inner: Transport;
  readonly #clock: Clock;
  readonly #streams = new Set<Stream>();
  #online = true;
  #failNext: { count: number; failure: TransportFailure } = { count: 0, failure: offline() };
  #dropNext = 0;
  #duplicateNext = 0;
  #delayMs = 0;
  #reorderLive = false;
  #duplicateLive = false;
  /** Push requests that reached the handler, duplicates included. */
  pushesDelivered = 0;

  constructor(handler: (request: Request) => Response | Promise<Response>, options: MemoryTransportOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#inner = httpTransport({
      url: options.url ?? 'http://weft.test',
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      fetch: async (request) => {
        if (!this.#online) throw new TypeError('offline');
        return handler(request);
      },
    });
  }

  get online(): boolean {
    return this.#online;
  }

  /** Every call fails as a network error, and open live streams end, until `goOnline()`. */
  goOffline(): void {
    this.#online = false;
    for (const stream of [...this.#streams]) stream.end(offline());
  }

  goOnline(): void {
    this.#online = true;
  }

  /** The next `count` pushes fail before reaching the server (a network error by default). */
  failNextPush(count = 1, failure: TransportFailure = offline()): void {
    this.#failNext = { count, failure };
  }

  /** The next `count` pushes reach the server, which applies them, but their answers are lost. */
  dropNextPushReply(count = 1): void {
    this.#dropNext = count;
  }

  /** The next `count` pushes reach the server twice; the client sees the second answer. */
  duplicateNextPush(count = 1): void {
    this.#duplicateNext = count;
  }

  /** Every call, and every live message, takes `ms` longer. */
  setDelay(ms: number): void {
    this.#delayMs = ms;
  }

  /** Live messages arrive in swapped pairs (a lone message waits for its partner up to 5 ms). */
  reorderLive(on = true): void {
    this.#reorderLive = on;
  }

  /** Every live message arrives twice. */
  duplicateLive(on = true): void {
    this.#duplicateLive = on;
  }

  async push(request: PushRequest): Promise<TransportResult<PushResponse>> {
    await this.#delay();
    if (!this.#online) return { ok: false, failure: offline() };
    if (this.#failNext.count > 0) {
      this.#failNext.count--;
      return { ok: false, failure: this.#failNext.failure };
    }
    if (this.#duplicateNext > 0) {
      this.#duplicateNext--;
      this.pushesDelivered++;
      await this.#inner.push(request);
    }
    this.pushesDelivered++;
    const result = await this.#inner.push(request);
    await this.#delay();
    if (this.#dropNext > 0) {
      this.#dropNext--;
      return { ok: false, failure: { kind: 'network', message: 'the answer was lost' } };
    }
    return this.#online ? result : { ok: false, failure: offline() };
  }

  async pull(scope: string, after: number, limit: number) {
    await this.#delay();
    return this.#inner.pull(scope, after, limit);
  }

  async snapshot(scope: string, minHead: number) {
    await this.#delay();
    if (!this.#inner.snapshot) throw new Error('the HTTP transport has no snapshot call');
    return this.#inner.snapshot(scope, minHead);
  }

  live(cursors: Readonly<Record<string, number>>, handlers: LiveHandlers): () => void {
    const stream = new Stream(handlers, this.#clock, () => ({
      delayMs: this.#delayMs,
      reorder: this.#reorderLive,
      duplicate: this.#duplicateLive,
    }));
    this.#streams.add(stream);
    stream.onEnd = () => this.#streams.delete(stream);
    stream.close = this.#inner.live(cursors, stream);
    return () => stream.stop();
  }

  async #delay(): Promise<void> {
    if (this.#delayMs > 0) await sleep(this.#clock, this.#delayMs);
  }
}

interface LiveFaults {
  readonly delayMs: number;
  readonly reorder: boolean;
  readonly duplicate: boolean;
}

/**
 * One live stream. Deliveries pass through a promise chain, so delays keep their order and
 * `closed` comes after the messages before it. Going offline drops what is still in flight.
 */
class Stream implements LiveHandlers {
  close: () => void = () => undefined;
  onEnd: () => void = () => undefined;
  readonly #handlers: LiveHandlers;
  readonly #clock: Clock;
  readonly #faults: () => LiveFaults;
  #chain: Promise<void> = Promise.resolve();
  #held: LiveMessage | null = null;
  /** No more deliveries: the client closed the stream, or the network dropped it. */
  #stopped = false;
  #ended = false;

  constructor(handlers: LiveHandlers, clock: Clock, faults: () => LiveFaults) {
    this.#handlers = handlers;
    this.#clock = clock;
    this.#faults = faults;
  }

  open(): void {
    this.#then(() => this.#handlers.open());
  }

  message(message: LiveMessage): void {
    const { reorder, duplicate } = this.#faults();
    const deliver = (m: LiveMessage) =>
      this.#then(() => {
        this.#handlers.message(m);
        if (duplicate && !this.#stopped) this.#handlers.message(m);
      });
    if (!reorder) {
      deliver(message);
      return;
    }
    if (this.#held === null) {
      this.#held = message;
      this.#clock.setTimeout(() => {
        if (this.#held !== message) return;
        this.#held = null;
        deliver(message);
      }, 5);
      return;
    }
    const held = this.#held;
    this.#held = null;
    deliver(message);
    deliver(held);
  }

  /** The server ended the stream: what was sent before still arrives, then `closed`. */
  closed(failure: TransportFailure | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.onEnd();
    this.#then(() => {
      this.#stopped = true;
      this.#handlers.closed(failure);
    });
  }

  /** The network went away: whatever is in flight is lost. */
  end(failure: TransportFailure): void {
    if (this.#stopped) return;
    this.stop();
    this.#handlers.closed(failure);
  }

  /** The client closed it: nothing more is delivered. */
  stop(): void {
    this.#stopped = true;
    this.#ended = true;
    this.onEnd();
    this.close();
  }

  #then(step: () => void): void {
    const { delayMs } = this.#faults();
    this.#chain = this.#chain
      .then(() => (delayMs > 0 ? sleep(this.#clock, delayMs) : undefined))
      .then(() => {
        if (!this.#stopped) step();
      })
      .catch((error: unknown) => this.end({ kind: 'network', message: String(error) }));
  }
}

function offline(): TransportFailure {
  return { kind: 'network', message: 'offline' };
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
