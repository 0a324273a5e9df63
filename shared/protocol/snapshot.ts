import * as v from 'valibot';
import { ScopeSchema, SeqSchema } from './common.ts';
import { QueryInt } from './pull.ts';

/**
 * `GET /v1/snapshot?scope=S&minHead=N`: the server's projection rows of one scope as of `seq`,
 * so a new client starts from the current state instead of replaying all of history (G15).
 * With `minHead`, a scope whose head is below it answers `rows: null`: it is short, pull its
 * events instead. Added to protocol v1 without changing any other call; an older server
 * answers `404 not_found`, and clients then pull.
 */
export const SnapshotQuerySchema = v.object({
  scope: ScopeSchema,
  minHead: v.optional(QueryInt(0, Number.MAX_SAFE_INTEGER), '0'),
});
export type SnapshotQuery = v.InferOutput<typeof SnapshotQuerySchema>;

/** One projection row as JSON: a plain object (its table's schema is checked by the client). */
export const SnapshotRowSchema = v.record(v.string(), v.unknown());

export const SnapshotResponseSchema = v.object({
  scope: ScopeSchema,
  /** The last event the rows include: the client's cursor once it has loaded them. */
  seq: SeqSchema,
  /** Rows by projection table, or null when the head is below `minHead`. */
  rows: v.nullable(v.record(v.string(), v.array(SnapshotRowSchema))),
});
export type SnapshotResponse = v.InferOutput<typeof SnapshotResponseSchema>;
