import * as v from 'valibot';
import { ScopeSchema, SeqSchema } from './common.ts';
import { EventSchema } from './event.ts';

const QueryInt = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,15}$/u, 'must be a non-negative integer'),
    v.transform(Number),
    v.minValue(min),
    v.maxValue(max),
  );

export const PULL_DEFAULT_LIMIT = 1000;
export const PULL_MAX_LIMIT = 10_000;

export const PullQuerySchema = v.object({
  scope: ScopeSchema,
  after: v.optional(QueryInt(0, Number.MAX_SAFE_INTEGER), '0'),
  limit: v.optional(QueryInt(1, PULL_MAX_LIMIT), String(PULL_DEFAULT_LIMIT)),
});
export type PullQuery = v.InferOutput<typeof PullQuerySchema>;

export const PullResponseSchema = v.object({
  scope: ScopeSchema,
  events: v.array(EventSchema),
  head: SeqSchema,
  more: v.boolean(),
});
export type PullResponse = v.InferOutput<typeof PullResponseSchema>;

/** `scope:cursor` pairs of `GET /v1/live`; the cursor is what follows the last `:`. */
export const LiveCursorSchema = v.pipe(
  v.string(),
  v.regex(/^.+:\d{1,15}$/u, 'must be scope:cursor'),
  v.transform((text) => {
    const at = text.lastIndexOf(':');
    return { scope: text.slice(0, at), after: Number(text.slice(at + 1)) };
  }),
  v.check(({ scope }) => scope.length <= 256, 'scope too long'),
);
export type LiveCursor = v.InferOutput<typeof LiveCursorSchema>;

/** One `events` message of the live stream. */
export const LiveMessageSchema = v.object({
  scope: ScopeSchema,
  events: v.array(EventSchema),
  head: SeqSchema,
});
export type LiveMessage = v.InferOutput<typeof LiveMessageSchema>;

export { QueryInt };
