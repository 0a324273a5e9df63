import type { PushCommand, PushResult, Row, WireEvent } from '../../shared/index.ts';
import type { BackoffOptions, Clock } from '../base/index.ts';
import type { SyncStatus } from './status.ts';

// The sync loop's contract with the engine and its options, apart from the loops themselves so
// push-loop.ts and read-loop.ts depend on it and not on sync-loop.ts, which builds them.

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
