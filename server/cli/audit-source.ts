import * as v from 'valibot';
import { type AuditQuery, type AuditResponse, protocol } from '../../shared/index.ts';
import type { EventStore } from '../store/port.ts';

/** Where audit records come from: a running server over HTTP, or a store opened directly. */
export type AuditSource = (query: AuditQuery) => Promise<AuditResponse>;

export function httpAuditSource(url: string, token: string): AuditSource {
  return async (query) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const res = await fetch(`${url.replace(/\/$/u, '')}/v1/audit?${params}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
      throw new Error(`the server answered ${res.status} ${error?.code ?? ''}: ${error?.message ?? 'no message'}`);
    }
    return v.parse(protocol.AuditResponseSchema, body);
  };
}

export function storeAuditSource(store: EventStore): AuditSource {
  return (query) => store.queryAudit(query);
}

/** Every record matching `query`, following `next` cursors; `onPage` reports progress. */
export async function readAll(
  source: AuditSource,
  query: AuditQuery,
  onPage: (count: number) => void = () => {},
): Promise<AuditResponse['records']> {
  const records: AuditResponse['records'] = [];
  let after = query.after;
  for (;;) {
    const page = await source({ ...query, limit: 1000, ...(after === undefined ? {} : { after }) });
    records.push(...page.records);
    onPage(records.length);
    if (page.next === null) return records;
    after = page.next;
  }
}
