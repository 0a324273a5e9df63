import type { PushCommand, PushResult, Row, WireEvent } from '../shared/index.ts';
import { type BackoffOptions, type Clock, DEFAULT_BACKOFF } from './backoff.ts';
import { PushLoop } from './push-loop.ts';
import { ReadLoop } from './read-loop.ts';
import type { SyncStatus } from './status.ts';
import type { Transport } from './transport.ts';

/**
 * What the sync loop needs from the engine. Each method changes the engine's memory before it
 * returns; `written` (or the returned promise) resolves once the matching storage write
 * committed.
 */
export interface SyncHost {
  readonly clientId: string;
  readonly appVersion: number;
  /** Every synced scope's confirmed head. */
  cursors(): Record<string, number>;
  /** One scope's confirmed head (0 when it has none). */
  cursor(scope: string): number;
  /** The next durable commands to push, in seq order, at most `limit` and about `maxBytes`. */
  pushable(limit: number, maxBytes: number): PushCommand[];
  /** Settles what a push answered; `behind` lists scopes whose events must be pulled first. */
  applyPushResults(
    sent: ReadonlyArray<PushCommand>,
    results: ReadonlyArray<PushResult>,
  ): { behind: string[]; written: Promise<void> };
  /** Applies confirmed events; `gap` when one is missing before them. */
  ingest(scope: string, events: ReadonlyArray<WireEvent>): { gap: boolean; written: Promise<void> };
  /** Replaces a scope's confirmed state by its whole stream (re-bootstrap). */
  replaceScope(scope: string, events: ReadonlyArray<WireEvent>): Promise<void>;
  /**
   * Replaces a scope's confirmed state by the server's rows at `seq` (a snapshot bootstrap);
   * pending commands stay and are rebased. Resolves with why the rows were refused (nothing
   * changed then), or null once they are stored.
   */
  loadSnapshot(scope: string, seq: number, rows: Readonly<Record<string, ReadonlyArray<Row>>>): Promise<string | null>;
  /** Whether the scope has commands the server applied whose events are not confirmed here yet. */
  hasAnswered(scope: string): boolean;
  /** Gives the unanswered commands the seqs `expected, expected + 1, …`. */
  renumber(expected: number): Promise<void>;
  /** Settles a command as rejected without the server (it can never be accepted). */
  rejectLocally(id: string, code: string, message: string): Promise<void>;
  report(patch: Partial<SyncStatus>): void;
}

export interface SyncOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly backoff?: BackoffOptions;
  /** Commands per push (DESIGN: batches of at most 100). */
  readonly maxBatch?: number;
  /** Bytes per push body; the server refuses more than 1 MiB. */
  readonly maxBatchBytes?: number;
  /**
   * Called before the read side first changes a scope's confirmed state (after a pull
   * answered, before a snapshot or a re-bootstrap): the engine loads a lazy scope's rows.
   */
  readonly prepare?: (scope: string) => Promise<void>;
  /** Events per pull page. */
  readonly pullLimit?: number;
  /**
   * A scope this client has nothing of (or re-bootstraps) starts from the server's snapshot
   * when its stream has at least this many events (default 1,000), else pulls them;
   * `Infinity` always pulls.
   */
  readonly snapshotThreshold?: number;
}

export interface ResolvedSyncOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly prepare: (scope: string) => Promise<void>;
  readonly backoff: BackoffOptions;
  readonly maxBatch: number;
  readonly maxBatchBytes: number;
  readonly pullLimit: number;
  readonly snapshotThreshold: number;
}

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
