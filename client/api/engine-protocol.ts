import * as v from 'valibot';
import type { Row } from '../../shared/index.ts';
import type { CommandUpdate } from '../base/index.ts';
import type { FeedBatch } from '../engine/index.ts';
import type { Query } from '../query/index.ts';
import type { RejectedRecord } from '../storage/index.ts';
import type { SyncStatus } from '../sync/index.ts';
import type { Accepted } from './engine-api.ts';

/**
 * The one message format of the engine API (engine-api.ts), carried unchanged between a page
 * and its worker (a MessagePort) and between a follower tab and its leader (the tabs'
 * BroadcastChannel, inside its envelope: tabs-protocol.ts). A carrier sends arrays of items,
 * one array per moment, so a burst of 1,000 commands is one message each way.
 *
 * Every call (`submit` included) carries a `callId` and is answered by one `reply`; command
 * stages, subscription rows, feed batches, status and rejections follow as events. Every
 * receiver validates what arrives (`parseRequests`, `parseEvents`, `parseReplyValue`): a forged
 * or garbled message is reported and ignored, never acted on.
 */
export type Request =
  | {
      readonly kind: 'submit';
      readonly callId: number;
      readonly id: string;
      readonly name: string;
      readonly args: unknown;
      readonly at?: number;
      /** `false`: only watch an id the engine knows (see `SubmitOptions`); absent means true. */
      readonly resubmit?: boolean;
    }
  | { readonly kind: 'call'; readonly callId: number; readonly call: Call }
  | { readonly kind: 'subscribe'; readonly subId: number; readonly query: Query }
  /** The rows of `scopes` as changes (a page's replica), answered with `feed` events. */
  | { readonly kind: 'feed'; readonly subId: number; readonly scopes: ReadonlyArray<string> }
  /** Stops a `subscribe` or a `feed`. */
  | { readonly kind: 'unsubscribe'; readonly subId: number };

export type Call =
  | { readonly method: 'query'; readonly query: Query }
  | { readonly method: 'rejections' }
  | { readonly method: 'dismiss'; readonly ids: ReadonlyArray<string> }
  | { readonly method: 'setOnline'; readonly online: boolean };

export type Event =
  /** Leads a batch whenever the status changed: a receiver's status is never older than the rest. */
  | { readonly kind: 'status'; readonly status: SyncStatus }
  | {
      readonly kind: 'reply';
      readonly callId: number;
      readonly ok: boolean;
      readonly value?: unknown;
      readonly error?: { readonly name: string; readonly message: string };
    }
  | { readonly kind: 'update'; readonly update: CommandUpdate }
  | { readonly kind: 'rows'; readonly subId: number; readonly rows: Row[] }
  /** Sent before the reply to any submit whose changes it holds (row-feed.ts). */
  | { readonly kind: 'feed'; readonly subId: number; readonly batch: FeedBatch }
  | { readonly kind: 'rejected'; readonly rejection: RejectedRecord };

/** What a call of each kind answers with. */
export type CallMethod = Call['method'] | 'submit';

/** A message that does not fit the format: ignored, and reported with this. */
export class EngineMessageError extends TypeError {
  readonly code = 'bad_request';
  constructor(message: string) {
    super(message);
    this.name = 'EngineMessageError';
  }
}

/** How many items one message may carry; a burst beyond it travels in several messages. */
export const MAX_ITEMS = 100_000;
/** How many scopes one message may name. */
export const MAX_SCOPES = 256;

// Ids are random UUIDs (a tab's, with a leader's epoch); bounded so a message stays small.
export const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(200));
export const Counter = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const Text = v.pipe(v.string(), v.maxLength(100_000));
export const Scopes = v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(1000))), v.maxLength(MAX_SCOPES));
/**
 * A row as it crosses a carrier: a plain object (all a structured clone yields for one), checked
 * in place, not copied key by key as a `v.record` would: a feed batch carries a row per changed
 * key, and this check is most of what the receiving page does per row. An own `__proto__` key
 * is refused (a later `Object.assign` of the row would take it as a prototype).
 */
function isRow(value: unknown): value is Row {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(value, '__proto__');
}
const RowSchema = v.custom<Row>(isRow, 'a row must be a plain object');
const Rows = v.custom<Row[]>(
  (value) => Array.isArray(value) && value.every(isRow),
  'rows must be an array of plain objects',
);
const Field = v.pipe(v.string(), v.minLength(1));

const Bound = v.optional(v.unknown());
const QuerySchema = v.object({
  table: Field,
  where: v.optional(RowSchema),
  scope: v.optional(v.string()),
  index: v.optional(v.array(Field)),
  range: v.optional(v.object({ gt: Bound, gte: Bound, lt: Bound, lte: Bound })),
  orderBy: v.optional(
    v.union([Field, v.object({ field: v.optional(Field), direction: v.optional(v.picklist(['asc', 'desc'])) })]),
  ),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  after: v.optional(RowSchema),
});

// Loose: a newer engine may report more status fields (the page's `leader`), which pass through.
export const StatusSchema = v.looseObject({
  online: v.boolean(),
  syncing: v.boolean(),
  pending: Counter,
  lastError: v.nullable(v.looseObject({ code: v.string(), message: v.string(), at: v.number() })),
  persisted: v.boolean(),
  upgradeRequired: v.boolean(),
});

const RejectionSchema = v.looseObject({
  status: v.literal('rejected'),
  id: Id,
  seq: Counter,
  name: v.string(),
  args: v.unknown(),
  scope: v.string(),
  code: v.string(),
  message: Text,
  settledAt: v.number(),
});

const UpdateSchema = v.variant('stage', [
  v.object({ id: Id, stage: v.literal('durable') }),
  v.object({ id: Id, stage: v.literal('confirmed') }),
  v.object({ id: Id, stage: v.literal('rejected'), code: v.string(), message: Text }),
]);

const ScopeName = v.pipe(v.string(), v.minLength(1), v.maxLength(1000));
const FeedBatchSchema = v.object({
  reset: v.boolean(),
  tables: v.array(v.object({ scope: ScopeName, table: Field, rows: Rows })),
  rows: v.custom<FeedBatch['rows']>(
    (value) => Array.isArray(value) && value.every(isRowChange),
    'feed rows must be changes: { scope, table, key, row (a plain object or null) }',
  ),
  included: v.optional(v.array(Id)),
});

/** One entry of a feed batch's `rows`, checked in place like a row (one per changed key). */
function isRowChange(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { scope, table, key, row } = value as Record<string, unknown>;
  return (
    typeof scope === 'string' &&
    scope.length >= 1 &&
    scope.length <= 1000 &&
    typeof table === 'string' &&
    table.length >= 1 &&
    typeof key === 'string' &&
    (row === null || isRow(row))
  );
}

const CallSchema = v.variant('method', [
  v.object({ method: v.literal('query'), query: QuerySchema }),
  v.object({ method: v.literal('rejections') }),
  v.object({ method: v.literal('dismiss'), ids: v.array(Id) }),
  v.object({ method: v.literal('setOnline'), online: v.boolean() }),
]);

const RequestSchema = v.variant('kind', [
  v.object({
    kind: v.literal('submit'),
    callId: Counter,
    id: Id,
    name: v.string(),
    args: v.unknown(),
    at: v.optional(v.pipe(v.number(), v.finite())),
    resubmit: v.optional(v.boolean()),
  }),
  v.object({ kind: v.literal('call'), callId: Counter, call: CallSchema }),
  v.object({ kind: v.literal('subscribe'), subId: Counter, query: QuerySchema }),
  v.object({ kind: v.literal('feed'), subId: Counter, scopes: Scopes }),
  v.object({ kind: v.literal('unsubscribe'), subId: Counter }),
]);

const EventSchema = v.variant('kind', [
  v.object({ kind: v.literal('status'), status: StatusSchema }),
  v.object({
    kind: v.literal('reply'),
    callId: Counter,
    ok: v.boolean(),
    value: v.optional(v.unknown()),
    error: v.optional(v.object({ name: v.string(), message: Text })),
  }),
  v.object({ kind: v.literal('update'), update: UpdateSchema }),
  v.object({ kind: v.literal('rows'), subId: Counter, rows: Rows }),
  v.object({ kind: v.literal('feed'), subId: Counter, batch: FeedBatchSchema }),
  v.object({ kind: v.literal('rejected'), rejection: RejectionSchema }),
]);

/** The items of one message, for a carrier's envelope schema. */
export const RequestsSchema = v.pipe(v.array(RequestSchema), v.maxLength(MAX_ITEMS));
export const EventsSchema = v.pipe(v.array(EventSchema), v.maxLength(MAX_ITEMS));

const AcceptedSchema = v.variant('ok', [
  v.object({ ok: v.literal(true), id: Id }),
  v.object({ ok: v.literal(false), id: Id, code: v.string(), message: Text }),
]);

const ReplySchemas: Record<CallMethod, v.GenericSchema> = {
  submit: AcceptedSchema satisfies v.GenericSchema<unknown, Accepted>,
  query: Rows,
  rejections: v.array(RejectionSchema),
  dismiss: v.unknown(),
  setOnline: v.unknown(),
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: EngineMessageError };

/** Validates the items of one message to an engine. */
export function parseRequests(data: unknown): Parsed<Request[]> {
  return parse(RequestsSchema, data, 'engine request') as Parsed<Request[]>;
}

/** Validates the items of one message from an engine. */
export function parseEvents(data: unknown): Parsed<Event[]> {
  return parse(EventsSchema, data, 'engine event') as Parsed<Event[]>;
}

/**
 * Validates what an engine answered to a call of `method`, so a forged or garbled reply can
 * neither resolve a call with a value of the wrong shape nor crash the caller.
 */
export function parseReplyValue(method: CallMethod, value: unknown): Parsed<unknown> {
  return parse(ReplySchemas[method], value, `reply to ${method}`);
}

/** Validates `data` with `schema` (a carrier's envelope, or part of this format) for a receiver. */
export function parse(schema: v.GenericSchema, data: unknown, what: string): Parsed<unknown> {
  const parsed = v.safeParse(schema, data);
  if (parsed.success) return { ok: true, value: parsed.output };
  return {
    ok: false,
    error: new EngineMessageError(`weft: ignored a malformed ${what}: ${v.summarize(parsed.issues)}`),
  };
}
