import type { Row } from '../../shared/index.ts';
import type { CommandUpdate } from '../base/index.ts';
import type { FeedBatch } from '../engine/index.ts';
import type { Query } from '../query/index.ts';
import type { RejectedRecord } from '../storage/index.ts';
import type { SyncStatus } from '../sync/index.ts';

/** What the main thread sees of the sync state: the engine's status, plus whether this tab leads. */
export interface ClientStatus extends SyncStatus {
  /** This tab hosts the engine; the others forward to it (DESIGN §3, tabs). */
  readonly leader: boolean;
}

/** `submit`'s answer as plain data: the command ran (or was already known), or was refused there. */
export type Accepted =
  | { readonly ok: true; readonly id: string }
  | { readonly ok: false; readonly id: string; readonly code: string; readonly message: string };

export interface SubmitOptions {
  /** The time the page ran it at (its replica), so the engine's run agrees. */
  readonly at?: number;
  /**
   * `false`: an id the engine does not know is not run again (its caller already saw it
   * applied and made durable by an engine that is gone). Default `true`.
   */
  readonly resubmit?: boolean;
  /**
   * The page's replica applied it already: nothing waits for the answer this task, so the
   * carrier may send it with the next batch rather than now. Never sent across.
   */
  readonly soon?: boolean;
}

/**
 * The engine as every layer above it sees it, defined once: the engine in this tab, the leader
 * tab's engine over the BroadcastChannel, this page's worker over its port, a tab session
 * that survives leader changes. Plain data and callbacks only, so it crosses any carrier
 * unchanged (engine-protocol.ts serves it and calls it there).
 *
 * `submit` is idempotent on `id`: a command the engine already holds (pending or settled) is
 * only watched, so a caller may resend it after a leader change.
 */
export interface EngineApi<S extends SyncStatus = SyncStatus> {
  submit(
    id: string,
    name: string,
    args: unknown,
    listener: (update: CommandUpdate) => void,
    options?: SubmitOptions,
  ): Promise<Accepted>;
  query(query: Query): Promise<Row[]>;
  /** Calls `callback` with the rows now (once answered), then after each change. Returns the stop. */
  subscribe(query: Query, callback: (rows: Row[]) => void): () => void;
  /**
   * The optimistic rows of `scopes` as changes (row-feed.ts): every row now, then each change.
   * Every change a command made is sent before `submit` answers it. Returns the stop.
   */
  feed(scopes: ReadonlyArray<string>, listener: (batch: FeedBatch) => void): () => void;
  /** Calls `listener` with the status now (when known), then after each change. */
  onStatus(listener: (status: S) => void): () => void;
  onRejected(listener: (rejection: RejectedRecord) => void): () => void;
  rejections(): Promise<RejectedRecord[]>;
  dismiss(ids: ReadonlyArray<string>): Promise<void>;
  setOnline(online: boolean): Promise<void>;
}
