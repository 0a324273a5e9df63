import type { EventStore } from '../../server/index.ts';
import { canonicalJson, type PushCommand, type PushResponse, type WireEvent } from '../../shared/index.ts';

/** A tiny HTTP client for the wire protocol, as a hostile or honest client would speak it. */
export function api(url: string, token: string | null) {
  const headers = (extra: Record<string, string> = {}) => ({
    ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    ...extra,
  });
  return {
    async push(body: unknown): Promise<{ status: number; json: PushResponse & ErrorJson }> {
      const res = await fetch(`${url}/v1/push`, {
        method: 'POST',
        headers: headers({ 'content-type': 'application/json' }),
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as PushResponse & ErrorJson };
    },
    async raw(pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
      return fetch(`${url}${pathAndQuery}`, {
        ...init,
        headers: { ...headers(), ...(init.headers as Record<string, string>) },
      });
    },
    async get<T>(pathAndQuery: string): Promise<{ status: number; json: T & ErrorJson }> {
      const res = await fetch(`${url}${pathAndQuery}`, { headers: headers() });
      return { status: res.status, json: (await res.json()) as T & ErrorJson };
    },
  };
}

export interface ErrorJson {
  error?: { code: string; message: string; expected?: number };
}

/** Builds push commands for one client with consecutive seqs. */
export function commandFactory(clientId: string, startSeq = 1) {
  let seq = startSeq;
  return {
    next(name: string, args: unknown, extra: Partial<PushCommand> = {}): PushCommand {
      const n = seq++;
      return { id: `${clientId}-c${n}`, seq: n, name, args, at: 1_700_000_000_000 + n, baseSeq: 0, ...extra };
    },
    get seq() {
      return seq;
    },
  };
}

/**
 * Everything a store holds that a request could change, as one comparable value: every
 * stream of the given scopes, the audit log, and the given clients' positions and results.
 */
export async function storeState(store: EventStore, scopes: string[], clientIds: string[]) {
  const streams: Record<string, { events: WireEvent[]; head: number }> = {};
  for (const scope of scopes) streams[scope] = await store.readEvents(scope, 0, 100_000);
  const audit = await store.queryAudit({ limit: 1000 });
  const clients: Record<string, unknown> = {};
  for (const clientId of clientIds) {
    const seqs = Array.from({ length: 50 }, (_, i) => i + 1);
    clients[clientId] = await store.lookupClient(clientId, { seqs, commandIds: [] });
  }
  return canonicalJson({ streams, audit, clients });
}
