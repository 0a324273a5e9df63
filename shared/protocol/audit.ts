import * as v from 'valibot';
import { IdSchema, ScopeSchema, SeqSchema, TimestampSchema } from './common.ts';
import { QueryInt } from './pull.ts';

export const AUDIT_OUTCOMES = ['clean', 'rebased', 'diverged', 'rejected'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 1000;

/** A field of a row, in a lost-update report. */
export const FieldRefSchema = v.object({ table: v.string(), key: v.string(), field: v.string() });

/** An event that landed in the scope between the client's base and the command's apply. */
export const IntervenedEventSchema = v.object({
  seq: SeqSchema,
  type: v.string(),
  commandId: IdSchema,
  clientId: IdSchema,
  /** The fields this event wrote that the audited command then overwrote (lost updates). */
  overwrote: v.optional(v.array(FieldRefSchema)),
});

/** One lost update: a field the audited command overwrote, and the intervening event that had written it. */
export const OverwriteSchema = v.object({
  ...FieldRefSchema.entries,
  seq: SeqSchema,
  type: v.string(),
  commandId: IdSchema,
  clientId: IdSchema,
});
export type AuditOverwrite = v.InferOutput<typeof OverwriteSchema>;

/** Every command the server settles leaves one of these, in the order they were written. */
export const AuditRecordSchema = v.object({
  id: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  /** Server time the outcome was recorded. */
  recordedAt: TimestampSchema,
  scope: ScopeSchema,
  commandId: IdSchema,
  clientId: IdSchema,
  userId: v.string(),
  name: v.string(),
  args: v.unknown(),
  seq: SeqSchema,
  baseSeq: SeqSchema,
  /** The scope's head just before the command applied. */
  headSeq: SeqSchema,
  outcome: v.picklist(AUDIT_OUTCOMES),
  code: v.nullable(v.string()),
  message: v.nullable(v.string()),
  /** The seqs of the events this command appended, empty when rejected. */
  eventSeqs: v.array(SeqSchema),
  /** How many events intervened, and the first of them (at most 100). */
  intervenedCount: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  intervened: v.array(IntervenedEventSchema),
  /**
   * Lost updates, never silent: every field this command overwrote that an intervening event of
   * another client had written since the command's base (gathered from `intervened`); absent when none.
   */
  overwrote: v.optional(v.array(OverwriteSchema)),
});
export type AuditRecord = v.InferOutput<typeof AuditRecordSchema>;

export const AuditQuerySchema = v.object({
  scope: v.optional(ScopeSchema),
  outcome: v.optional(v.picklist(AUDIT_OUTCOMES)),
  client: v.optional(IdSchema),
  user: v.optional(v.pipe(v.string(), v.maxLength(256))),
  command: v.optional(v.pipe(v.string(), v.maxLength(128))),
  /** `true`: only records that overwrote another client's write; `false`: only those that did not. */
  overwrote: v.optional(v.picklist(['true', 'false'])),
  /** Records recorded at or after / before these server times (ms since the epoch). */
  since: v.optional(QueryInt(0, Number.MAX_SAFE_INTEGER)),
  until: v.optional(QueryInt(0, Number.MAX_SAFE_INTEGER)),
  /** The `next` cursor of the previous page. */
  after: v.optional(QueryInt(0, Number.MAX_SAFE_INTEGER)),
  limit: v.optional(QueryInt(1, AUDIT_MAX_LIMIT), String(AUDIT_DEFAULT_LIMIT)),
});
export type AuditQuery = v.InferOutput<typeof AuditQuerySchema>;

export const AuditResponseSchema = v.object({
  records: v.array(AuditRecordSchema),
  next: v.nullable(v.pipe(v.number(), v.safeInteger())),
});
export type AuditResponse = v.InferOutput<typeof AuditResponseSchema>;
