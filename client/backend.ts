import type { Row } from '../shared/index.ts';
import type { RejectedRecord } from './client-storage.ts';
import type { CommandUpdate } from './command-lifecycle.ts';
import type { Engine } from './engine.ts';
import type { Submitted } from './execution.ts';
import type { Query } from './query.ts';
import type { FeedBatch } from './row-feed.ts';
import type { SyncStatus } from './status.ts';
import type { SwitchableTransport } from './switchable-transport.ts';

/** What the main thread sees of the sync state: the engine's status, plus whether this tab leads. */
export interface ClientStatus extends SyncStatus {
  /** This tab hosts the engine; the others forward to it (DESIGN §3, tabs). */
  readonly leader: boolean;
}

/** `submit`'s answer as plain data: the command ran (or was already known), or was refused locally. */
export type Accepted =
  | { readonly ok: true; readonly id: string }
  | { readonly ok: false; readonly id: string; readonly code: string; readonly message: string };

/**
 * One session's way to the engine: the engine itself (this tab leads) or the leader tab over a
 * BroadcastChannel. Plain data and callbacks only.
 *
 * `submit` is idempotent on `id`: a command the engine already holds (pending or settled) is
 * only watched, so a session may resend it after a leader change. With `resubmit: false` an
 * unknown id is not run again (its caller already saw it applied and made durable elsewhere).
 */
export interface Backend {
  submit(
    id: string,
    name: string,
    args: unknown,
    listener: (update: CommandUpdate) => void,
    resubmit: boolean,
    /** The time the page ran it at (its replica), so the engine's run agrees. */
    at?: number,
  ): Promise<Accepted>;
  query(query: Query): Promise<Row[]>;
  /**
   * The optimistic rows of `scopes` as changes (row-feed.ts): every row now, then each change.
   * Every change a command made is sent before `submit` answers it. Returns the stop.
   */
  feed(scopes: ReadonlyArray<string>, listener: (batch: FeedBatch) => void): () => void;
  subscribe(query: Query, callback: (rows: Row[]) => void): () => void;
  onStatus(listener: (status: SyncStatus) => void): () => void;
  onRejected(listener: (rejection: RejectedRecord) => void): () => void;
  rejections(): Promise<RejectedRecord[]>;
  dismiss(ids: ReadonlyArray<string>): Promise<void>;
  setOnline(online: boolean): Promise<void>;
}

/**
 * The backend of the leader tab: calls go straight to the engine. `chooseId` makes the engine's
 * next id generator call return `id` (the main thread chose it, so `execute` knows it at once).
 */
export function engineBackend(
  engine: Engine,
  transport: SwitchableTransport,
  chooseId: (id: string) => void,
  saveOnline: (online: boolean) => Promise<void>,
): Backend {
  return {
    async submit(id, name, args, listener, resubmit, at) {
      const state = engine.watch(id, listener);
      if (state !== 'unknown' || !resubmit) {
        engine.flushFeeds();
        return { ok: true, id };
      }
      // Runs now, or on a scope not loaded yet (lazy-scopes.ts) once its rows are (`applied` waits).
      const submitted = await new Promise<Submitted | null>((resolve, reject) =>
        engine.whenScopeLoaded(
          name,
          args,
          () => {
            if (engine.watch(id, listener) !== 'unknown') return resolve(null); // resent meanwhile
            chooseId(id);
            resolve(engine.submit(name, args, listener, at));
          },
          reject,
        ),
      );
      // Let the live queries flush first, so a caller that awaits `applied` has its updates.
      await Promise.resolve();
      await Promise.resolve();
      engine.flushFeeds(); // the command's rows go out before its answer (see FeedBatch)
      if (submitted === null || submitted.ok) return { ok: true, id };
      return { ok: false, id, code: submitted.code, message: submitted.message };
    },
    // Served from storage for a scope not loaded yet (lazy-scopes.ts).
    query: (query) => engine.read(query as Parameters<Engine['read']>[0]) as Promise<Row[]>,
    feed: (scopes, listener) => engine.feed(scopes, listener),
    subscribe: (query, callback) =>
      engine.subscribe(query as Parameters<Engine['subscribe']>[0], callback as (rows: unknown[]) => void),
    onStatus: (listener) => engine.onStatus(listener),
    onRejected: (listener) => engine.onRejected(listener),
    rejections: async () => engine.rejections(),
    dismiss: (ids) => engine.dismiss(ids),
    async setOnline(online) {
      transport.setEnabled(online);
      engine.setOnline(online);
      await saveOnline(online);
    },
  };
}
