import * as v from 'valibot';
import { IdSchema, ScopeSchema, SeqSchema, TimestampSchema } from './common.ts';

/** A confirmed event as it travels: the fact plus its place in its scope's stream. */
export const EventSchema = v.object({
  seq: v.pipe(SeqSchema, v.minValue(1)),
  scope: ScopeSchema,
  type: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  data: v.unknown(),
  commandId: IdSchema,
  clientId: IdSchema,
  at: TimestampSchema,
});
export type WireEvent = v.InferOutput<typeof EventSchema>;
