import type { Row, TableQuery, WireEvent } from '../../shared/index.ts';

/**
 * The client's storage port: what the engine keeps durable. Adapters: `dexieStorage`
 * (IndexedDB, the browser) and `memoryStorage` (tests, or "not persisted" mode); both run
 * `runClientStorageContract`.
 *
 * Contract, for every adapter:
 * - `commit` is atomic: every part of one `StorageCommit` is written, or none is (and it
 *   rejects). A resolved `commit` has committed with strict durability.
 * - Commits apply in the order they were called; a later commit sees every earlier one.
 * - The client id and the seq counter live in the same database as the outbox, so they are
 *   lost together or not at all: a client id can never outlive the seqs it already used.
 * - `load` returns the outbox in seq order and everything an engine needs to serve queries
 *   for `scopes` (plus every scope the outbox writes) without reading storage again; with
 *   `lazy`, no rows (they are read later, by `queryRows` and `readRows`, when the engine
 *   reads or loads them: see lazy-scopes.ts).
 * - Stored values come back as copies: nothing the caller holds aliases stored state.
 */
export interface ClientStorage {
  /** Opens the database (creating the client id on first use) and reads the durable state. */
  load(request: LoadRequest): Promise<StoredState>;
  /**
   * The confirmed rows of one table in one scope, sorted by key. With `where`, a declared index
   * on one of its fields narrows the read, so it never scans other tables or scopes.
   */
  readRows(table: string, scope: string, where?: Readonly<Record<string, unknown>>): Promise<Row[]>;
  /**
   * The confirmed rows of one table in one scope that `query` reads, in its index order: the
   * query model of `TableQuery`, served by the declared index (natively in IndexedDB). Throws a
   * `QueryError` when no declared index serves it.
   */
  queryRows(table: string, scope: string, query?: TableQuery): Promise<Row[]>;
  /** The confirmed rows of one table in one scope with these keys, in their order (undefined: none stored). One read. */
  getRows(table: string, scope: string, keys: ReadonlyArray<string>): Promise<Array<Row | undefined>>;
  /**
   * Every stored confirmed event of one scope, in seq order: what a projection rebuild replays.
   * It may start after seq 1 when the scope was bootstrapped from a snapshot.
   */
  readEvents(scope: string): Promise<WireEvent[]>;
  /** Writes one atomic change; see `StorageCommit` for the order of its parts. */
  commit(change: StorageCommit): Promise<void>;
  /** Asks the platform to keep this storage under pressure; resolves to whether it will. */
  persist(): Promise<boolean>;
  close(): Promise<void>;
}

export interface LoadRequest {
  /** The scopes whose confirmed rows and cursors to read. */
  readonly scopes: ReadonlyArray<string>;
  /** Makes the client id when the database has none yet. */
  readonly newClientId: () => string;
  /**
   * Read no rows (cursors and scope meta still come for every scope): opening then costs the
   * outbox, not the stored history.
   */
  readonly lazy?: boolean;
}

/** A pending command as the outbox keeps it: enough to push it again after a reload. */
export interface OutboxRecord {
  /** The client's command counter: 1, 2, 3 … with no gaps (DESIGN §1). */
  readonly seq: number;
  readonly id: string;
  readonly name: string;
  /** The args as JSON data, exactly as they will be sent. */
  readonly args: unknown;
  readonly at: number;
  readonly scope: string;
  /** The scope's confirmed head when the command first ran. */
  readonly baseSeq: number;
  /** `digestEvents` of the events that first run emitted. */
  readonly digest: string;
  /**
   * The app version whose form `name` and `args` have (`App.version` when it was issued or
   * last upcast). Records written before versions were kept have none: they are version 1.
   */
  readonly version?: number;
}

/**
 * Why a scope's confirmed projections do not reflect all of its stored events:
 * - `stale`: an event this app version cannot read (an unknown type or data its schema
 *   refuses, from a newer server). It was stored and skipped; later events still apply.
 *   The app should reload with newer code, which replays the scope.
 * - `quarantined`: a projection handler threw on the event at `seq`. The scope's rows stay as
 *   they were before it and no later event is projected, until code that handles it replays.
 */
export interface ScopeMark {
  readonly kind: 'stale' | 'quarantined';
  readonly scope: string;
  /** The first event that could not be projected. */
  readonly seq: number;
  readonly type: string;
  readonly message: string;
}

/** What storage keeps about how a scope's rows were built. */
export interface ScopeMeta {
  /** The app version whose projection code built the stored rows. */
  readonly appVersion: number;
  readonly mark: ScopeMark | null;
}

/** One confirmed row write: a put, or `row: null` for a delete. */
export interface RowWrite {
  readonly table: string;
  readonly scope: string;
  readonly key: string;
  readonly row: Row | null;
}

/** The durable end of a command's life (DESIGN §3, command lifecycle). */
export type SettledRecord =
  | {
      readonly status: 'confirmed';
      readonly id: string;
      readonly seq: number;
      readonly name: string;
      readonly scope: string;
      readonly settledAt: number;
    }
  | RejectedRecord;

/** A rejection, kept in the inbox until the app dismisses it. */
export interface RejectedRecord {
  readonly status: 'rejected';
  readonly id: string;
  readonly seq: number;
  readonly name: string;
  readonly args: unknown;
  readonly scope: string;
  readonly code: string;
  readonly message: string;
  readonly settledAt: number;
}

/**
 * One atomic write. Its parts apply in this order: `resetScopes` and `scopeMeta`, then `events`,
 * `rows` and `cursors`; then `clearOutbox`, `trim`, `outbox` and `lastSeq`; then `settled` and `dismiss`.
 */
export interface StorageCommit {
  /** Scopes whose confirmed events, rows, cursor and scope meta are erased first (a re-bootstrap). */
  readonly resetScopes?: ReadonlyArray<string>;
  /** How the scopes listed are built now (written after `resetScopes`). */
  readonly scopeMeta?: Readonly<Record<string, ScopeMeta>>;
  /** Confirmed events, stored by `[scope+seq]`. */
  readonly events?: ReadonlyArray<WireEvent>;
  readonly rows?: ReadonlyArray<RowWrite>;
  /** The new confirmed head of each scope listed. */
  readonly cursors?: Readonly<Record<string, number>>;
  /** Empties the outbox before `outbox` is written (renumbering after a seq resync). */
  readonly clearOutbox?: boolean;
  /** Outbox seqs to remove: settled commands. */
  readonly trim?: ReadonlyArray<number>;
  /** Outbox rows to write (append, or rewrite after `clearOutbox`). */
  readonly outbox?: ReadonlyArray<OutboxRecord>;
  /** The client's seq counter: the last seq handed out. */
  readonly lastSeq?: number;
  readonly settled?: ReadonlyArray<SettledRecord>;
  /** Settled records to forget, by command id (dismissed rejections). */
  readonly dismiss?: ReadonlyArray<string>;
}

export interface StoredState {
  readonly clientId: string;
  readonly lastSeq: number;
  /** Pending commands in seq order. */
  readonly outbox: OutboxRecord[];
  /** The confirmed head of every loaded scope that has one. */
  readonly cursors: Record<string, number>;
  /** The confirmed rows of the loaded scopes (with `lazy`, none). */
  readonly rows: RowWrite[];
  /** The scope meta of the loaded scopes that have one (none: built by version 1, unmarked). */
  readonly scopeMeta: Record<string, ScopeMeta>;
  /** Every rejection not yet dismissed, and the most recent confirmations. */
  readonly settled: SettledRecord[];
}

/** How many of the newest confirmed records an adapter keeps at least (it prunes the older ones
 * every hundred seqs); rejections are kept until dismissed. */
export const CONFIRMED_RECORDS_KEPT = 1000;
