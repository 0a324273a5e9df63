import { randomUUID } from 'node:crypto';
import type Pg from 'pg';
import type { AuditQuery, WireEvent } from '../../shared/index.ts';
import { requirePeer } from '../require-peer.ts';
import { withAdvisoryLock } from './advisory-lock.ts';
import {
  type ClientLookup,
  type CommitRequest,
  type CommitResult,
  type EventStore,
  type ScopeSnapshot,
  StoreConflict,
  type StoredResult,
} from './port.ts';
import { MIGRATIONS } from './postgres-schema.ts';
import { type AuditRow, type ResultRow, toAudit, toResult } from './stored-rows.ts';

const pg = requirePeer<typeof Pg>('pg', 'weft/server/postgres');

/**
 * Invariants: one commit is one transaction. It locks every scope's head row it touches
 * (`SELECT … FOR UPDATE`, in scope order, so two commits never deadlock), so commits to one scope
 * run one at a time and a reader never sees seq n + 1 before n. Audit ids are taken under one
 * transaction-level advisory lock held to COMMIT, so audit records become visible in id order
 * and an `after` cursor never skips a record committed late. NOTIFY is sent in the same
 * transaction, so a listener hears of events only once they are readable.
 */
export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** The schema the tables live in, created if missing (default `public`). */
  readonly schema?: string;
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number;
  /** The LISTEN/NOTIFY channel (default `weft_events`, suffixed with the schema when not `public`). */
  readonly channel?: string;
}

export interface PostgresEventStore extends EventStore {
  /** The schema version the migrations brought the database to. */
  readonly schemaVersion: number;
  onAppended(listener: AppendListener): () => void;
}

export type AppendListener = (scope: string, head: number) => void;

/** Arbitrary constants of this adapter's advisory locks. */
const MIGRATION_LOCK = 0x77656674;
const AUDIT_ORDER_LOCK = 0x77656675;

/**
 * The store for several server nodes: PostgreSQL through a `pg` pool. Migrations run on start
 * (versioned in `schema_migrations`); each commit is one call of the `weft_commit` function (one round trip) and
 * notifies the other nodes, which learn of it through `onAppended`.
 *
 * @example
 * const store = await postgresStore({ connectionString: process.env.WEFT_STORE! });
 * const server = createServer({ app, store, auth });
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<PostgresEventStore> {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/u.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const channel = options.channel ?? (schema === 'public' ? 'weft_events' : `weft_events_${schema}`);
  const config: Pg.ClientConfig = { connectionString: options.connectionString, options: `-c search_path=${schema}` };
  const pool = new pg.Pool({ ...config, max: options.maxConnections ?? 10 });
  pool.on('error', (error) => console.error('weft: idle PostgreSQL connection failed', error));
  const schemaVersion = await migrate(pool, schema);
  // Commits carry this store's origin, so it hears only other nodes' commits (its own are fanned out locally).
  const origin = randomUUID();
  const notifier = new Notifier(config, channel, origin);

  const query = async <R extends Pg.QueryResultRow>(name: string, text: string, values: unknown[]) =>
    (await pool.query<R>({ name, text, values })).rows;

  return {
    kind: 'postgres',
    schemaVersion,
    async commit(request) {
      try {
        return await commitIn(pool, request, channel, origin);
      } catch (error) {
        throw translate(error);
      }
    },
    async readEvents(scope, after, limit) {
      // One statement, one snapshot: the head is never behind the events read with it.
      const rows =
        limit > 0
          ? await query<EventRow & { head: string }>(
              'weft_read_events',
              `SELECT seq, type, data, command_id, client_id, at, (SELECT head FROM heads WHERE scope = $1) AS head
               FROM events WHERE scope = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
              [scope, after, limit],
            )
          : [];
      const head =
        rows[0] !== undefined
          ? Number(rows[0].head)
          : Number(
              (await query<{ head: string }>('weft_read_head', 'SELECT head FROM heads WHERE scope = $1', [scope]))[0]
                ?.head ?? 0,
            );
      return { head, events: rows.map((r) => toEvent(scope, r)) };
    },
    async lookupClient(clientId, keys): Promise<ClientLookup> {
      const [clients, results] = await Promise.all([
        query<{ client_id: string; user_id: string; last_seq: string }>(
          'weft_client',
          'SELECT client_id, user_id, last_seq FROM clients WHERE client_id = $1',
          [clientId],
        ),
        keys.seqs.length + keys.commandIds.length === 0
          ? []
          : query<ResultRow>(
              'weft_results',
              `SELECT * FROM results WHERE (client_id = $1 AND seq = ANY($2::bigint[])) OR command_id = ANY($3::text[])`,
              [clientId, keys.seqs, keys.commandIds],
            ),
      ]);
      const row = clients[0];
      const found = new Map<string, StoredResult>();
      for (const r of results) found.set(r.command_id, toResult(r));
      return {
        client: row ? { clientId: row.client_id, userId: row.user_id, lastSeq: Number(row.last_seq) } : null,
        results: [...found.values()],
      };
    },
    async queryAudit(q: AuditQuery) {
      const where: string[] = [];
      const values: Array<string | number> = [];
      const add = (column: string, op: string, value: string | number | undefined) => {
        if (value === undefined) return;
        values.push(value);
        where.push(`${column} ${op} $${values.length}`);
      };
      add('scope', '=', q.scope);
      add('outcome', '=', q.outcome);
      add('client_id', '=', q.client);
      add('user_id', '=', q.user);
      add('name', '=', q.command);
      add('recorded_at', '>=', q.since);
      add('recorded_at', '<', q.until);
      add('id', '>', q.after);
      values.push(q.limit + 1);
      const { rows } = await pool.query<AuditRow>(
        `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${values.length}`,
        values,
      );
      const page = rows.slice(0, q.limit).map(toAudit);
      return { records: page, next: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
    },
    async loadSnapshot(scope): Promise<ScopeSnapshot | null> {
      const [row] = await query<{ seq: string; tables: string }>(
        'weft_load_snapshot',
        'SELECT seq, tables FROM snapshots WHERE scope = $1',
        [scope],
      );
      return row ? { scope, seq: Number(row.seq), tables: JSON.parse(row.tables) as ScopeSnapshot['tables'] } : null;
    },
    async saveSnapshot(snapshot) {
      // An older snapshot saved late (a slower node) never replaces a newer one.
      await query(
        'weft_save_snapshot',
        `INSERT INTO snapshots (scope, seq, tables) VALUES ($1, $2, $3) ON CONFLICT (scope)
         DO UPDATE SET seq = excluded.seq, tables = excluded.tables WHERE excluded.seq >= snapshots.seq`,
        [snapshot.scope, snapshot.seq, JSON.stringify(snapshot.tables)],
      );
    },
    onAppended: (listener) => notifier.add(listener),
    async close() {
      await notifier.close();
      await pool.end();
    },
  };
}

/** The body of one commit, inside BEGIN … COMMIT on `client`. */
/**
 * One commit as one statement (`weft_commit`, migration 2): events are numbered here relative to
 * each scope's head, the function locks the heads and client rows, checks them against what the
 * pipeline read, and writes everything; the heads it locked give the events their seqs.
 */
async function commitIn(pool: Pg.Pool, request: CommitRequest, channel: string, origin: string): Promise<CommitResult> {
  const scopes = [...new Set([...request.expectedHeads.keys(), ...request.outcomes.map((o) => o.scope)])].sort();
  const added = new Map<string, number>();
  const ev = {
    scope: [] as string[],
    rel: [] as number[],
    type: [] as string[],
    data: [] as string[],
    commandId: [] as string[],
    clientId: [] as string[],
    at: [] as number[],
  };
  const firstRel: number[] = [];
  const clients = new Map<string, { userId: string; lastSeq: number }>();
  for (const o of request.outcomes) {
    let rel = added.get(o.scope) ?? 0;
    firstRel.push(rel + 1);
    for (const e of o.events) {
      rel++;
      ev.scope.push(o.scope);
      ev.rel.push(rel);
      ev.type.push(e.type);
      ev.data.push(JSON.stringify(e.data));
      ev.commandId.push(o.commandId);
      ev.clientId.push(o.clientId);
      ev.at.push(o.at);
    }
    added.set(o.scope, rel);
    const seen = clients.get(o.clientId);
    if (seen && seen.userId !== o.userId) throw new StoreConflict(`client ${o.clientId} belongs to another user`);
    clients.set(o.clientId, { userId: o.userId, lastSeq: Math.max(seen?.lastSeq ?? 0, o.seq) });
  }
  const grown = [...added].filter(([, count]) => count > 0);
  const outs = request.outcomes;
  const { rows } = await pool.query<{ scope: string; head: string }>({
    name: 'weft_commit',
    text: `SELECT scope, head FROM weft_commit(${Array.from({ length: 39 }, (_, i) => `$${i + 1}`).join(', ')})`,
    values: [
      scopes,
      [...request.expectedHeads.keys()],
      [...request.expectedHeads.values()],
      [...request.expectedClientSeqs.keys()],
      [...request.expectedClientSeqs.values()],
      [...clients.keys()],
      [...clients.values()].map((c) => c.userId),
      [...clients.values()].map((c) => c.lastSeq),
      ev.scope,
      ev.rel,
      ev.type,
      ev.data,
      ev.commandId,
      ev.clientId,
      ev.at,
      outs.map((o) => o.clientId),
      outs.map((o) => o.seq),
      outs.map((o) => o.commandId),
      outs.map((o) => o.name),
      outs.map((o) => o.argsJson),
      outs.map((o) => o.status),
      outs.map((o) => o.scope),
      firstRel,
      outs.map((o) => o.events.length),
      outs.map((o) => o.code),
      outs.map((o) => o.message),
      outs.map((o) => o.audit.recordedAt),
      outs.map((o) => o.userId),
      outs.map((o) => o.argsJson),
      outs.map((o) => o.audit.baseSeq),
      outs.map((o) => o.audit.headSeq),
      outs.map((o) => o.audit.outcome),
      outs.map((o) => o.audit.intervenedCount),
      outs.map((o) => JSON.stringify(o.audit.intervened)),
      grown.map(([scope]) => scope),
      grown.map(([, count]) => count),
      channel,
      origin,
      AUDIT_ORDER_LOCK,
    ],
  });
  const heads = new Map(rows.map((r) => [r.scope, Number(r.head)]));
  const events = outs.map((o, i) => {
    const first = (heads.get(o.scope) ?? 0) + (firstRel[i] ?? 1);
    return o.events.map(
      (e, j): WireEvent => ({
        seq: first + j,
        scope: o.scope,
        type: e.type,
        data: e.data,
        commandId: o.commandId,
        clientId: o.clientId,
        at: o.at,
      }),
    );
  });
  for (const [scope, count] of added) heads.set(scope, (heads.get(scope) ?? 0) + count);
  return { events, heads: new Map(scopes.map((s) => [s, heads.get(s) ?? 0])) };
}

/** Unique violations, deadlocks and serialization failures mean "someone else got there first". */
function translate(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'WF409') return new StoreConflict(String((error as Error).message));
  if (code === '23505')
    return new StoreConflict(
      `a command id, (client, seq) or client is already stored: ${String((error as Error).message)}`,
    );
  if (code === '40P01' || code === '40001')
    return new StoreConflict(`transaction aborted by PostgreSQL: ${String((error as Error).message)}`);
  return error;
}

async function migrate(pool: Pg.Pool, schema: string): Promise<number> {
  // Nodes starting together take turns; the second finds the work done.
  return withAdvisoryLock(pool, MIGRATION_LOCK, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM schema_migrations',
    );
    let version = rows[0]?.version ?? 0;
    for (const [i, sql] of MIGRATIONS.entries()) {
      if (i + 1 <= version) continue;
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      version = i + 1;
    }
    return version;
  });
}

/**
 * One dedicated connection that LISTENs on the channel, opened with the first listener. After a
 * lost connection it reconnects; notifications sent meanwhile are lost, which live subscribers
 * survive because they fill any gap from the store at the next event of the scope.
 */
class Notifier {
  readonly #config: Pg.ClientConfig;
  readonly #channel: string;
  readonly #listeners = new Set<AppendListener>();
  #client: Promise<Pg.Client> | null = null;
  #closed = false;

  readonly #origin: string;

  constructor(config: Pg.ClientConfig, channel: string, origin: string) {
    this.#config = config;
    this.#channel = channel;
    this.#origin = origin;
  }

  add(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    this.#client ??= this.#connect();
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = await this.#client?.catch(() => null);
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<Pg.Client> {
    const client = new pg.Client(this.#config);
    client.on('notification', (message) => {
      if (message.channel !== this.#channel || !message.payload) return;
      const [scope, head, origin] = JSON.parse(message.payload) as [string, number, string];
      if (origin === this.#origin) return;
      for (const listener of [...this.#listeners]) listener(scope, head);
    });
    client.on('error', (error) => {
      if (this.#closed) return;
      console.error('weft: PostgreSQL LISTEN connection failed; reconnecting', error.message);
      this.#client = null;
      setTimeout(() => {
        if (!this.#closed && this.#listeners.size > 0) this.#client ??= this.#connect();
      }, 1000).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${this.#channel}`);
    return client;
  }
}

interface EventRow {
  seq: string;
  type: string;
  data: string;
  command_id: string;
  client_id: string;
  at: string;
}

function toEvent(scope: string, r: EventRow): WireEvent {
  return {
    seq: Number(r.seq),
    scope,
    type: r.type,
    data: JSON.parse(r.data) as unknown,
    commandId: r.command_id,
    clientId: r.client_id,
    at: Number(r.at),
  };
}
