import * as v from 'valibot';
import type { ClientStatus } from './engine-api.ts';
import {
  Counter,
  type Event,
  EventsSchema,
  type Parsed,
  parse,
  type Request,
  RequestsSchema,
  Scopes,
  StatusSchema,
} from './engine-protocol.ts';

/**
 * The page ↔ worker carrier of the engine protocol (engine-protocol.ts): its messages are the
 * engine's items (`engine`) plus this envelope, which opens and closes the worker's session
 * and fetches the app's token when `auth` is a function. One port, so order holds: items
 * arrive as sent, and `close` comes after every command the page executed before it.
 */
export type ToWorker =
  | {
      readonly kind: 'open';
      readonly config: {
        readonly url: string;
        readonly scopes: ReadonlyArray<string>;
        readonly dbName: string;
        readonly token?: string;
      };
      /** The page has an `auth` function: ask it (`token?`) for each token. */
      readonly auth: boolean;
    }
  | { readonly kind: 'engine'; readonly items: Request[] }
  /** The answer to `token?`: the token, or why the app's `auth` function failed. */
  | { readonly kind: 'token'; readonly tokenId: number; readonly token?: string; readonly error?: string }
  /** Runs what came before it, closes the session (committing what is queued), then `closed`. */
  | { readonly kind: 'close' };

export type FromWorker =
  | { readonly kind: 'opened'; readonly status: ClientStatus }
  | { readonly kind: 'openFailed'; readonly error: { readonly name: string; readonly message: string } }
  | { readonly kind: 'engine'; readonly items: Event[] }
  | { readonly kind: 'token?'; readonly tokenId: number }
  /** The last message: everything the session sent came before it. */
  | { readonly kind: 'closed' };

const Text = v.pipe(v.string(), v.maxLength(100_000));
const Name = v.pipe(v.string(), v.minLength(1), v.maxLength(1000));

const ToWorkerSchema = v.variant('kind', [
  v.object({
    kind: v.literal('open'),
    config: v.object({ url: Name, scopes: Scopes, dbName: Name, token: v.optional(Text) }),
    auth: v.boolean(),
  }),
  v.object({ kind: v.literal('engine'), items: RequestsSchema }),
  v.object({ kind: v.literal('token'), tokenId: Counter, token: v.optional(Text), error: v.optional(Text) }),
  v.object({ kind: v.literal('close') }),
]);

const FromWorkerSchema = v.variant('kind', [
  v.object({ kind: v.literal('opened'), status: v.looseObject({ ...StatusSchema.entries, leader: v.boolean() }) }),
  v.object({ kind: v.literal('openFailed'), error: v.object({ name: v.string(), message: Text }) }),
  v.object({ kind: v.literal('engine'), items: EventsSchema }),
  v.object({ kind: v.literal('token?'), tokenId: Counter }),
  v.object({ kind: v.literal('closed') }),
]);

/** Validates one message the worker received from its page. */
export function parseToWorker(data: unknown): Parsed<ToWorker> {
  return parse(ToWorkerSchema, data, 'message to the worker') as Parsed<ToWorker>;
}

/** Validates one message the page received from its worker. */
export function parseFromWorker(data: unknown): Parsed<FromWorker> {
  return parse(FromWorkerSchema, data, 'message from the worker') as Parsed<FromWorker>;
}
