import type { Row } from '../shared/index.ts';
import type { RejectedRecord } from './client-storage.ts';
import type { CommandUpdate } from './command-lifecycle.ts';
import type { Query } from './query.ts';
import type { SyncStatus } from './status.ts';

/**
 * The messages the tabs of one client exchange on their BroadcastChannel (`weft:<dbName>`).
 * Everything a follower sends names the leader it is meant for (`to`), so a message sent to a
 * leader that has just died is ignored by its successor, and the follower resends it once the
 * successor announces itself. Every request is idempotent, so a resend never doubles an effect.
 */
export type ToLeader =
  /** A tab (re)joined: the leader answers with `leader`. */
  | { readonly kind: 'hello'; readonly from: string }
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
  | { readonly kind: 'unsubscribe'; readonly from: string; readonly to: string; readonly subId: number };

export type LeaderCall =
  | {
      readonly method: 'submit';
      readonly id: string;
      readonly name: string;
      readonly args: unknown;
      readonly resubmit: boolean;
    }
  | { readonly method: 'query'; readonly query: Query }
  | { readonly method: 'rejections' }
  | { readonly method: 'dismiss'; readonly ids: ReadonlyArray<string> }
  | { readonly method: 'setOnline'; readonly online: boolean };

export type FromLeader =
  /** A leader's engine is open: sent when it takes over and in answer to `hello`. */
  | { readonly kind: 'leader'; readonly leader: string; readonly status: SyncStatus }
  | {
      readonly kind: 'reply';
      readonly to: string;
      readonly callId: number;
      readonly ok: boolean;
      readonly value?: unknown;
      readonly error?: { readonly name: string; readonly message: string };
    }
  | { readonly kind: 'rows'; readonly to: string; readonly subId: number; readonly rows: Row[] }
  | { readonly kind: 'command'; readonly to: string; readonly update: CommandUpdate }
  | { readonly kind: 'status'; readonly leader: string; readonly status: SyncStatus }
  | { readonly kind: 'rejected'; readonly leader: string; readonly rejection: RejectedRecord };

export type TabMessage = ToLeader | FromLeader;

/** The lock that makes a tab the leader of `dbName`, and the one each tab holds while it lives. */
export const leaderLock = (dbName: string): string => `weft:${dbName}:leader`;
export const tabLock = (dbName: string, tabId: string): string => `weft:${dbName}:tab:${tabId}`;
export const channelName = (dbName: string): string => `weft:${dbName}`;
