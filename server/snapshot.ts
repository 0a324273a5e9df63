import type { Context } from 'hono';
import { protocol, type Row } from '../shared/index.ts';
import type { Auth, Principal } from './auth.ts';
import type { KeyedLock } from './keyed-lock.ts';
import { parseQuery, requireRight } from './routes-read.ts';
import type { ScopeCache } from './scope-cache.ts';
import type { EventStore } from './store/port.ts';

/**
 * `GET /v1/snapshot?scope=S&minHead=N`: the scope's projection rows as of `seq`, for a client
 * that has nothing of it yet (G15: initial sync grows with current state, not history).
 *
 * The rows come from the scope cache, which the push pipeline runs commands against: its
 * tables and head change together, synchronously, after each commit, so the rows read here
 * are exactly the state after event `seq`. A cache that is behind the store (another node's
 * commits) gives an older but still consistent pair; the client pulls what follows `seq`.
 */
export async function handleSnapshot(
  c: Context,
  deps: { readonly scopes: ScopeCache; readonly store: EventStore; readonly auth: Auth; readonly locks: KeyedLock },
  principal: Principal,
): Promise<protocol.SnapshotResponse> {
  const query = parseQuery(c, protocol.SnapshotQuerySchema);
  await requireRight(deps.auth, principal, 'read', query.scope);
  if (query.minHead > 0) {
    // A short stream is cheaper to pull than to load into the cache: answer from the head alone.
    const { head } = await deps.store.readEvents(query.scope, 0, 0);
    if (head < query.minHead) return { scope: query.scope, seq: head, rows: null };
  }
  // Under the scope's lock no push queues a commit, so the state's queued (pipelined) commits
  // settle and the rows read are only confirmed ones.
  const release = await deps.locks.acquire([`scope:${query.scope}`]);
  try {
    const state = await deps.scopes.confirmed(query.scope);
    // No await from here on: the head and the rows are read in one turn, as one state.
    const seq = state.head;
    if (seq < query.minHead) return { scope: query.scope, seq, rows: null };
    const rows: Record<string, Row[]> = state.tables.dump();
    return { scope: query.scope, seq, rows };
  } finally {
    release();
  }
}
