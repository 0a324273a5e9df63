import { DEFAULT_BACKOFF } from '../base/index.ts';
import { PushLoop } from './push-loop.ts';
import { ReadLoop } from './read-loop.ts';
import type { ResolvedSyncOptions, SyncHost, SyncOptions } from './sync-host.ts';
import type { Transport } from './transport.ts';

export type { ResolvedSyncOptions, SyncHost, SyncOptions } from './sync-host.ts';

/**
 * The sync loop: a push loop (the outbox, in order, one request in flight) and a read loop
 * (catch-up pulls, then the live stream), each with its own backoff. `online` is a hint only:
 * going online cuts the backoff short, going offline stops nothing (the next failure will).
 */
export class SyncLoop {
  readonly #reader: ReadLoop;
  readonly #pusher: PushLoop;

  constructor(transport: Transport, host: SyncHost, options: SyncOptions) {
    const resolved: ResolvedSyncOptions = {
      clock: options.clock,
      random: options.random,
      prepare: options.prepare ?? (() => Promise.resolve()),
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      maxBatch: options.maxBatch ?? 100,
      maxBatchBytes: options.maxBatchBytes ?? 1024 * 1024 - 4096,
      pullLimit: options.pullLimit ?? 1000,
      snapshotThreshold: options.snapshotThreshold ?? 1000,
    };
    this.#reader = new ReadLoop(transport, host, resolved);
    this.#pusher = new PushLoop(transport, host, resolved, this.#reader);
    let pulling = false;
    let pushing = false;
    this.#reader.busy = (on) => {
      pulling = on;
      host.report({ syncing: pulling || pushing });
    };
    this.#pusher.busy = (on) => {
      pushing = on;
      host.report({ syncing: pulling || pushing });
    };
  }

  start(): void {
    this.#reader.start();
    this.#pusher.start();
  }

  /** New durable commands are waiting. */
  pushSoon(): void {
    this.#pusher.wake();
  }

  /** The platform's connectivity hint (`navigator.onLine` and its events). */
  setOnline(online: boolean): void {
    if (!online) return;
    this.#reader.wake(true);
    this.#pusher.wake(true);
  }

  /** Stops both loops; resolves once neither will touch the host again. */
  async close(): Promise<void> {
    await Promise.all([this.#reader.stop(), this.#pusher.stop()]);
  }
}
