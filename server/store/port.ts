import type { AuditOutcome, AuditQuery, AuditRecord, Row, WireEvent } from '../../shared/index.ts';

/**
 * The server's storage port. Every adapter (memory, sqlite, postgres) passes
 * `runEventStoreContract` in `contract.ts`.
 *
 * Contract, for every adapter:
 * - `commit` is atomic: all of a request's events, results, client positions and audit records
 *   become visible together, or none do (and it throws).
 * - Each scope's stream is gap-free: the events of a commit get `head + 1, head + 2, …` in the
 *   order given, and no reader ever sees a later seq before an earlier one.
 * - `commit` is a compare-and-set on the scope heads and client positions it names: if any moved
 *   since the caller read them, nothing is written and it throws `StoreConflict`.
 * - `(clientId, seq)` and `commandId` are each unique among stored results.
 * - A resolved `commit` is durable (survives power loss).
 */
export interface EventStore {
  /** The adapter's name, reported by `GET /v1/health`. */
  readonly kind: string;
  commit(request: CommitRequest): Promise<CommitResult>;
  /** Events of `scope` with `seq > after`, in order, at most `limit` (0 reads only the head). */
  readEvents(scope: string, after: number, limit: number): Promise<{ events: WireEvent[]; head: number }>;
  /** The client's record, and its stored results for any of these seqs or command ids. */
  lookupClient(clientId: string, keys: { seqs: number[]; commandIds: string[] }): Promise<ClientLookup>;
  /** Audit records in the order they were written, filtered, one page at a time. */
  queryAudit(query: AuditQuery): Promise<{ records: AuditRecord[]; next: number | null }>;
  /** The latest saved state of a scope, to rebuild it without replaying its whole history. */
  loadSnapshot(scope: string): Promise<ScopeSnapshot | null>;
  saveSnapshot(snapshot: ScopeSnapshot): Promise<void>;
  /**
   * Optional, for stores shared by several server nodes: calls `listener` after another node's
   * commit made `scope` reach `head` (not after this store's own commits, which the local
   * pipeline fans out; possibly late, out of order or more than once). The events are readable
   * with `readEvents` when it is called. Returns an unsubscribe function.
   */
  onAppended?(listener: (scope: string, head: number) => void): () => void;
  /**
   * Optional: the store applies commits in the order `commit` was called (one writer, one
   * queue), so a caller may queue a commit that builds on one not yet settled. If the earlier
   * fails, the later fails its head check (`StoreConflict`). The push pipeline then releases a
   * scope as soon as its commit is queued (a pipelined commit).
   */
  readonly ordersCommits?: boolean;
  close(): Promise<void>;
}

/** One client: the user it belongs to and the last command `seq` the server processed. */
export interface ClientRecord {
  readonly clientId: string;
  readonly userId: string;
  readonly lastSeq: number;
}

/** The stored outcome of one command, found again by `(clientId, seq)` or by `commandId`. */
export interface StoredResult {
  readonly clientId: string;
  readonly seq: number;
  readonly commandId: string;
  readonly name: string;
  /** `canonicalJson(args)`, so a resend can be compared with the original. */
  readonly argsJson: string;
  readonly status: 'applied' | 'rejected';
  readonly scope: string;
  /** The seq of the command's first event and how many it appended (0 when rejected). */
  readonly firstSeq: number;
  readonly eventCount: number;
  readonly code: string | null;
  readonly message: string | null;
}

export interface ClientLookup {
  readonly client: ClientRecord | null;
  readonly results: StoredResult[];
}

/** A newly settled command, as the push pipeline hands it to `commit`. */
export interface CommandOutcome {
  readonly clientId: string;
  readonly userId: string;
  readonly seq: number;
  readonly commandId: string;
  readonly name: string;
  readonly args: unknown;
  readonly argsJson: string;
  readonly at: number;
  readonly scope: string;
  readonly status: 'applied' | 'rejected';
  /** Events to append to `scope`, in order (empty when rejected). */
  readonly events: ReadonlyArray<{ readonly type: string; readonly data: unknown }>;
  readonly code: string | null;
  readonly message: string | null;
  readonly audit: AuditEntry;
}

/** What the pipeline knows for the audit record; the store adds `id` and `eventSeqs`. */
export type AuditEntry = Pick<AuditRecord, 'recordedAt' | 'baseSeq' | 'headSeq' | 'intervenedCount' | 'intervened'> & {
  readonly outcome: AuditOutcome;
};

export interface CommitRequest {
  /** Outcomes in the order they were decided; events get seqs in this order. */
  readonly outcomes: ReadonlyArray<CommandOutcome>;
  /** The head each touched scope had when the pipeline read it. */
  readonly expectedHeads: ReadonlyMap<string, number>;
  /** The `lastSeq` each client had (0 for a client not yet stored, which `commit` creates). */
  readonly expectedClientSeqs: ReadonlyMap<string, number>;
}

export interface CommitResult {
  /** The stored events of each outcome, index for index. */
  readonly events: WireEvent[][];
  /** Each touched scope's head after the commit. */
  readonly heads: ReadonlyMap<string, number>;
}

/** A scope's projection tables as of `seq`. */
export interface ScopeSnapshot {
  readonly scope: string;
  readonly seq: number;
  readonly tables: Readonly<Record<string, ReadonlyArray<Row>>>;
}

/** Thrown by `commit` when a scope head or a client position moved since it was read. */
export class StoreConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflict';
  }
}
