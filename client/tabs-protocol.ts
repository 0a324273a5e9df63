import * as v from 'valibot';
import type { Row } from '../shared/index.ts';
import type { Accepted } from './backend.ts';
import type { RejectedRecord } from './client-storage.ts';
import type { CommandUpdate } from './command-lifecycle.ts';
import type { Query } from './query.ts';
import type { FeedBatch } from './row-feed.ts';
import type { SyncStatus } from './status.ts';

/**
 * The messages the tabs of one client exchange on their BroadcastChannel (`weft:<dbName>`).
 * Everything a follower sends names the leader it is meant for (`to`), so a message sent to a
 * leader that has just died is ignored by its successor, and the follower resends it once the
 * successor announces itself. Every request is idempotent, so a resend never doubles an effect.
 *
 * Any script of the origin can post on the channel, so every message is validated on arrival
 * (`parseTabMessage`); one that does not fit is ignored and reported, never acted on.
 */
export type ToLeader =
  /** A tab (re)joined, with the scopes it opened with: the leader answers with `leader`. */
  | { readonly kind: 'hello'; readonly from: string; readonly scopes?: ReadonlyArray<string> }
  | {
      readonly kind: 'call';
      readonly from: string;
      readonly to: string;
      readonly callId: number;
      readonly call: LeaderCall;
    }
  | {
      readonly kind: 'subscribe';
      readonly from: string;
      readonly to: string;
      readonly subId: number;
      readonly query: Query;
    }
  | { readonly kind: 'unsubscribe'; readonly from: string; readonly to: string; readonly subId: number }
  /** The follower's replica: the rows of `scopes` as changes (`feedRows`); stopped by `unsubscribe`. */
  | {
      readonly kind: 'feed';
      readonly from: string;
      readonly to: string;
      readonly subId: number;
      readonly scopes: ReadonlyArray<string>;
    };

export type LeaderCall =
  | {
      readonly method: 'submit';
      readonly id: string;
      readonly name: string;
      readonly args: unknown;
      readonly resubmit: boolean;
      readonly at?: number;
    }
  | { readonly method: 'query'; readonly query: Query }
  | { readonly method: 'rejections' }
  | { readonly method: 'dismiss'; readonly ids: ReadonlyArray<string> }
  | { readonly method: 'setOnline'; readonly online: boolean };

export type FromLeader =
  /**
   * A leader's engine is open: sent when it takes over and in answer to `hello`. `scopes` are
   * those its engine syncs: its own plus those of the tabs that joined with others.
   */
  | {
      readonly kind: 'leader';
      readonly leader: string;
      readonly status: SyncStatus;
      readonly scopes?: ReadonlyArray<string>;
    }
  | {
      readonly kind: 'reply';
      readonly to: string;
      readonly callId: number;
      readonly ok: boolean;
      readonly value?: unknown;
      readonly error?: { readonly name: string; readonly message: string };
    }
  | { readonly kind: 'rows'; readonly to: string; readonly subId: number; readonly rows: Row[] }
  | { readonly kind: 'feedRows'; readonly to: string; readonly subId: number; readonly batch: FeedBatch }
  | { readonly kind: 'command'; readonly to: string; readonly update: CommandUpdate }
  | { readonly kind: 'status'; readonly leader: string; readonly status: SyncStatus }
  | { readonly kind: 'rejected'; readonly leader: string; readonly rejection: RejectedRecord };

export type TabMessage = ToLeader | FromLeader;

/** The lock that makes a tab the leader of `dbName`, and the one each tab holds while it lives. */
export const leaderLock = (dbName: string): string => `weft:${dbName}:leader`;
export const tabLock = (dbName: string, tabId: string): string => `weft:${dbName}:tab:${tabId}`;
export const channelName = (dbName: string): string => `weft:${dbName}`;

/** How many scopes one tab may ask its leader to sync in one message. */
export const MAX_SCOPES = 256;

/** A message of the tabs' channel that does not fit the protocol: ignored, and reported with this. */
export class TabMessageError extends TypeError {
  readonly code = 'bad_request';
  constructor(message: string) {
    super(message);
    this.name = 'TabMessageError';
  }
}

/** Validates one message of the channel; an invalid one comes back as a `TabMessageError`. */
export function parseTabMessage(
  data: unknown,
): { ok: true; message: TabMessage } | { ok: false; error: TabMessageError } {
  const parsed = v.safeParse(TabMessageSchema, data);
  if (parsed.success) return { ok: true, message: parsed.output as TabMessage };
  return {
    ok: false,
    error: new TabMessageError(`weft: ignored a malformed tab message: ${v.summarize(parsed.issues)}`),
  };
}

/**
 * Validates what a leader answered to a call of `method`, so a forged or garbled reply can
 * neither resolve a call with a value of the wrong shape nor crash the follower.
 */
export function parseReplyValue(
  method: LeaderCall['method'],
  value: unknown,
): { ok: true; value: unknown } | { ok: false; error: TabMessageError } {
  const schema = ReplySchemas[method];
  const parsed = v.safeParse(schema, value);
  if (parsed.success) return { ok: true, value: parsed.output };
  return {
    ok: false,
    error: new TabMessageError(`weft: ignored a malformed reply to ${method}: ${v.summarize(parsed.issues)}`),
  };
}

// Ids are the tabs' random UUIDs (with a leader's epoch); bounded so a message stays small.
const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(200));
const Counter = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const Text = v.pipe(v.string(), v.maxLength(100_000));
const Scopes = v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(1000))), v.maxLength(MAX_SCOPES));
const RowSchema = v.record(v.string(), v.unknown());
const Rows = v.array(RowSchema);
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

// Loose: a newer engine may report more status fields, which pass through to the app.
const StatusSchema = v.looseObject({
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
  rows: v.array(v.object({ scope: ScopeName, table: Field, key: v.string(), row: v.nullable(RowSchema) })),
  included: v.optional(v.array(Id)),
});

const CallSchema = v.variant('method', [
  v.object({
    method: v.literal('submit'),
    id: Id,
    name: v.string(),
    args: v.unknown(),
    resubmit: v.boolean(),
    at: v.optional(v.pipe(v.number(), v.finite())),
  }),
  v.object({ method: v.literal('query'), query: QuerySchema }),
  v.object({ method: v.literal('rejections') }),
  v.object({ method: v.literal('dismiss'), ids: v.array(Id) }),
  v.object({ method: v.literal('setOnline'), online: v.boolean() }),
]);

const TabMessageSchema = v.variant('kind', [
  v.object({ kind: v.literal('hello'), from: Id, scopes: v.optional(Scopes) }),
  v.object({ kind: v.literal('call'), from: Id, to: Id, callId: Counter, call: CallSchema }),
  v.object({ kind: v.literal('subscribe'), from: Id, to: Id, subId: Counter, query: QuerySchema }),
  v.object({ kind: v.literal('unsubscribe'), from: Id, to: Id, subId: Counter }),
  v.object({ kind: v.literal('feed'), from: Id, to: Id, subId: Counter, scopes: Scopes }),
  v.object({ kind: v.literal('leader'), leader: Id, status: StatusSchema, scopes: v.optional(Scopes) }),
  v.object({
    kind: v.literal('reply'),
    to: Id,
    callId: Counter,
    ok: v.boolean(),
    value: v.optional(v.unknown()),
    error: v.optional(v.object({ name: v.string(), message: Text })),
  }),
  v.object({ kind: v.literal('rows'), to: Id, subId: Counter, rows: Rows }),
  v.object({ kind: v.literal('feedRows'), to: Id, subId: Counter, batch: FeedBatchSchema }),
  v.object({ kind: v.literal('command'), to: Id, update: UpdateSchema }),
  v.object({ kind: v.literal('status'), leader: Id, status: StatusSchema }),
  v.object({ kind: v.literal('rejected'), leader: Id, rejection: RejectionSchema }),
]);

const AcceptedSchema = v.variant('ok', [
  v.object({ ok: v.literal(true), id: Id }),
  v.object({ ok: v.literal(false), id: Id, code: v.string(), message: Text }),
]);

const ReplySchemas: Record<LeaderCall['method'], v.GenericSchema> = {
  submit: AcceptedSchema satisfies v.GenericSchema<unknown, Accepted>,
  query: Rows,
  rejections: v.array(RejectionSchema),
  dismiss: v.unknown(),
  setOnline: v.unknown(),
};
