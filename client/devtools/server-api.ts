import * as v from 'valibot';
import type { AuditRecord, WireEvent } from '../../shared/index.ts';
import { protocol } from '../../shared/index.ts';

/** What the panel asks the weft server: audit records and a scope's recent events. */
export interface DevtoolsServer {
  /** Audit records of `scope` recorded at or after `since` (server ms), oldest first. */
  audit(scope: string, since?: number): Promise<AuditRecord[]>;
  /** The scope's head and its newest `count` events, newest first. */
  events(scope: string, count: number): Promise<{ head: number; events: WireEvent[] }>;
  /** The scope's events from the first through `seq`, oldest first (what a replay needs). */
  history(scope: string, seq: number): Promise<WireEvent[]>;
}

/** The most events the panel replays to show what one event wrote. */
export const MAX_REPLAY = 20_000;

export interface ServerOptions {
  readonly url: string;
  readonly auth?: string | (() => string | Promise<string>);
  readonly fetch?: typeof fetch;
}

/** An answer the server refused (e.g. `403 forbidden` when the user has no `audit` right). */
export class ServerRefusal extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ServerRefusal';
    this.status = status;
    this.code = code;
  }
}

/** At most this many audit pages per refresh: the panel shows a device's recent commands. */
const MAX_AUDIT_PAGES = 5;

export function httpServer(options: ServerOptions): DevtoolsServer {
  const base = options.url.replace(/\/$/u, '');
  const get = async <S extends v.GenericSchema>(path: string, schema: S): Promise<v.InferOutput<S>> => {
    const token = typeof options.auth === 'function' ? await options.auth() : options.auth;
    const res = await (options.fetch ?? fetch)(`${base}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ServerRefusal(res.status, error?.code ?? 'internal', error?.message ?? `HTTP ${res.status}`);
    }
    const parsed = v.safeParse(schema, body);
    if (!parsed.success) throw new ServerRefusal(res.status, 'bad_response', v.summarize(parsed.issues));
    return parsed.output;
  };
  return {
    async audit(scope, since) {
      const records: AuditRecord[] = [];
      let after: number | null = null;
      for (let page = 0; page < MAX_AUDIT_PAGES; page++) {
        const params = new URLSearchParams({ scope, limit: '1000' });
        if (since !== undefined) params.set('since', String(Math.max(0, Math.floor(since))));
        if (after !== null) params.set('after', String(after));
        const answer = await get(`/v1/audit?${params}`, protocol.AuditResponseSchema);
        records.push(...answer.records);
        after = answer.next;
        if (after === null) break;
      }
      return records;
    },
    async events(scope, count) {
      const first = await get(`/v1/pull?${new URLSearchParams({ scope, limit: '1' })}`, protocol.PullResponseSchema);
      const after = Math.max(0, first.head - count);
      const page = await get(
        `/v1/pull?${new URLSearchParams({ scope, after: String(after), limit: String(count) })}`,
        protocol.PullResponseSchema,
      );
      return { head: page.head, events: [...page.events].reverse() };
    },
    async history(scope, seq) {
      if (seq > MAX_REPLAY)
        throw new ServerRefusal(413, 'payload_too_large', `the panel replays at most ${MAX_REPLAY} events`);
      const events: WireEvent[] = [];
      for (let after = 0; after < seq; ) {
        const limit = String(Math.min(1000, seq - after));
        const page = await get(
          `/v1/pull?${new URLSearchParams({ scope, after: String(after), limit })}`,
          protocol.PullResponseSchema,
        );
        events.push(...page.events);
        const last = page.events.at(-1);
        if (!last || !page.more) break;
        after = last.seq;
      }
      return events;
    },
  };
}
