import * as v from 'valibot';
import { type Event, EventsSchema, Id, type Request, RequestsSchema, Scopes, StatusSchema } from '../api/index.ts';
import type { SyncStatus } from '../sync/index.ts';

export { MAX_SCOPES } from '../api/index.ts';

/**
 * The tabs' carrier of the engine protocol (engine-protocol.ts) on their BroadcastChannel
 * (`weft:<dbName>`): the engine's items travel unchanged inside this envelope, which adds who
 * sent them to whom, and the election's own messages (`hello`, `leader`). Everything a
 * follower sends names the leader it is meant for (`to`: tab and engine epoch), so a message
 * sent to a leader that has just died is ignored by its successor, and the follower resends it
 * once the successor announces itself. Every request is idempotent, so a resend never doubles
 * an effect.
 *
 * Any script of the origin can post on the channel, so every message is validated on arrival
 * (`parseTabMessage`), envelope and items alike; one that does not fit is ignored and reported,
 * never acted on.
 */
export type ToLeader =
  /** A tab (re)joined, with the scopes it opened with: the leader answers with `leader`. */
  | { readonly kind: 'hello'; readonly from: string; readonly scopes?: ReadonlyArray<string> }
  | { readonly kind: 'toLeader'; readonly from: string; readonly to: string; readonly items: Request[] };

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
  | { readonly kind: 'fromLeader'; readonly leader: string; readonly to: string; readonly items: Event[] };

export type TabMessage = ToLeader | FromLeader;

/** The lock that makes a tab the leader of `dbName`, and the one each tab holds while it lives. */
export const leaderLock = (dbName: string): string => `weft:${dbName}:leader`;
export const tabLock = (dbName: string, tabId: string): string => `weft:${dbName}:tab:${tabId}`;
export const channelName = (dbName: string): string => `weft:${dbName}`;

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

const TabMessageSchema = v.variant('kind', [
  v.object({ kind: v.literal('hello'), from: Id, scopes: v.optional(Scopes) }),
  v.object({ kind: v.literal('toLeader'), from: Id, to: Id, items: RequestsSchema }),
  v.object({ kind: v.literal('leader'), leader: Id, status: StatusSchema, scopes: v.optional(Scopes) }),
  v.object({ kind: v.literal('fromLeader'), leader: Id, to: Id, items: EventsSchema }),
]);
