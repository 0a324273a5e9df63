import * as v from 'valibot';
import { IdSchema, SeqSchema, TimestampSchema } from './common.ts';
import { EventSchema } from './event.ts';

export const PushCommandSchema = v.object({
  id: IdSchema,
  /** The client's command counter: last processed + 1, or a resend of an earlier one. */
  seq: v.pipe(SeqSchema, v.minValue(1)),
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  args: v.unknown(),
  at: TimestampSchema,
  /** The last confirmed `seq` of the command's scope the client had when it ran the command. */
  baseSeq: SeqSchema,
  /** `digestEvents` of the events the client's optimistic run emitted. */
  digest: v.optional(v.pipe(v.string(), v.maxLength(64))),
});
export type PushCommand = v.InferOutput<typeof PushCommandSchema>;

export const PushRequestSchema = v.object({
  clientId: IdSchema,
  /** The app version the client runs (`App.version`); checked against what the server accepts. */
  appVersion: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  commands: v.array(PushCommandSchema),
});
export type PushRequest = v.InferOutput<typeof PushRequestSchema>;

export const PushResultSchema = v.object({
  id: IdSchema,
  seq: v.pipe(SeqSchema, v.minValue(1)),
  status: v.picklist(['applied', 'rejected']),
  events: v.optional(v.array(EventSchema)),
  code: v.optional(v.string()),
  message: v.optional(v.string()),
  duplicate: v.optional(v.literal(true)),
});
export type PushResult = v.InferOutput<typeof PushResultSchema>;

export const PushResponseSchema = v.object({ results: v.array(PushResultSchema) });
export type PushResponse = v.InferOutput<typeof PushResponseSchema>;
