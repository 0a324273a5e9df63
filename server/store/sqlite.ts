import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { AuditQuery, WireEvent } from '../../shared/index.ts';
import { requirePeer } from '../require-peer.ts';
import {
  type ClientLookup,
  type CommitRequest,
  type CommitResult,
  type EventStore,
  type ScopeSnapshot,
  StoreConflict,
  type StoredResult,
} from './port.ts';
import { type AuditRow, type ResultRow, toAudit, toResult } from './stored-rows.ts';

const Database = requirePeer<typeof BetterSqlite3>('better-sqlite3', 'weft/server/sqlite');

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS events (scope TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
  command_id TEXT NOT NULL, client_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (scope, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS heads (scope TEXT PRIMARY KEY, head INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (client_id TEXT NOT NULL, seq INTEGER NOT NULL, command_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL, args_json TEXT NOT NULL, status TEXT NOT NULL, scope TEXT NOT NULL, first_seq INTEGER NOT NULL,
  event_count INTEGER NOT NULL, code TEXT, message TEXT, PRIMARY KEY (client_id, seq));
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at INTEGER NOT NULL, scope TEXT NOT NULL,
  command_id TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL,
  seq INTEGER NOT NULL, base_seq INTEGER NOT NULL, head_seq INTEGER NOT NULL, outcome TEXT NOT NULL, code TEXT,
  message TEXT, event_seqs TEXT NOT NULL, intervened_count INTEGER NOT NULL, intervened TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_scope ON audit (scope, id);
CREATE INDEX IF NOT EXISTS audit_client ON audit (client_id, id);
CREATE INDEX IF NOT EXISTS audit_user ON audit (user_id, id);
CREATE INDEX IF NOT EXISTS audit_outcome ON audit (outcome, id);
CREATE INDEX IF NOT EXISTS audit_name ON audit (name, id);
CREATE INDEX IF NOT EXISTS audit_time ON audit (recorded_at);
CREATE TABLE IF NOT EXISTS snapshots (scope TEXT PRIMARY KEY, seq INTEGER NOT NULL, tables TEXT NOT NULL) WITHOUT ROWID;
`;

/** Commands one group commit takes before it leaves the rest for the next turn of the event loop. */
const GROUP_COMMANDS = 1000;

export interface SqliteEventStore extends EventStore {
  /** `journal_mode` and `synchronous` as SQLite reports them (FULL = 2). */
  pragmas(): { journalMode: string; synchronous: number };
}

/** Where the SQLite store keeps its data. */
export interface SqliteStoreOptions {
  /** The database file (its folder is created), or `':memory:'`. */
  readonly file: string;
}

/**
 * The embedded default store: one SQLite file (or `:memory:`) through better-sqlite3, in WAL
 * mode with `synchronous=FULL`, so a resolved `commit` survives power loss. Each commit is one
 * IMMEDIATE transaction over prepared statements.
 */
export function sqliteStore(options: SqliteStoreOptions): SqliteEventStore {
  if (options.file !== ':memory:') mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  if ((db.pragma('user_version', { simple: true }) as number) < 1) {
    db.exec(SCHEMA_V1);
    db.pragma('user_version = 1');
  }

  const q = {
    head: db.prepare<[string], { head: number }>('SELECT head FROM heads WHERE scope = ?'),
    setHead: db.prepare(
      'INSERT INTO heads (scope, head) VALUES (?, ?) ON CONFLICT (scope) DO UPDATE SET head = excluded.head',
    ),
    client: db.prepare<[string], { client_id: string; user_id: string; last_seq: number }>(
      'SELECT client_id, user_id, last_seq FROM clients WHERE client_id = ?',
    ),
    insertClient: db.prepare('INSERT INTO clients (client_id, user_id, last_seq) VALUES (?, ?, ?)'),
    setClientSeq: db.prepare('UPDATE clients SET last_seq = ? WHERE client_id = ?'),
    insertEvent: db.prepare(
      'INSERT INTO events (scope, seq, type, data, command_id, client_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    insertResult: db.prepare(
      'INSERT INTO results (client_id, seq, command_id, name, args_json, status, scope, first_seq, event_count, code, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertAudit: db.prepare(
      `INSERT INTO audit (recorded_at, scope, command_id, client_id, user_id, name, args, seq, base_seq, head_seq, outcome,
        code, message, event_seqs, intervened_count, intervened) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    events: db.prepare<
      [string, number, number],
      { seq: number; scope: string; type: string; data: string; command_id: string; client_id: string; at: number }
    >(
      'SELECT seq, scope, type, data, command_id, client_id, at FROM events WHERE scope = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    resultBySeq: db.prepare<[string, number], ResultRow>('SELECT * FROM results WHERE client_id = ? AND seq = ?'),
    resultById: db.prepare<[string], ResultRow>('SELECT * FROM results WHERE command_id = ?'),
    // One statement for a push's ids (a JSON array), not one a command.
    resultsByIds: db.prepare<[string], ResultRow>(
      'SELECT * FROM results WHERE command_id IN (SELECT value FROM json_each(?))',
    ),
    loadSnapshot: db.prepare<[string], { scope: string; seq: number; tables: string }>(
      'SELECT scope, seq, tables FROM snapshots WHERE scope = ?',
    ),
    saveSnapshot: db.prepare(
      // An older snapshot saved late (a slower node) never replaces a newer one.
      `INSERT INTO snapshots (scope, seq, tables) VALUES (?, ?, ?) ON CONFLICT (scope)
        DO UPDATE SET seq = excluded.seq, tables = excluded.tables WHERE excluded.seq >= snapshots.seq`,
    ),
  };

  const commit = db.transaction((request: CommitRequest): CommitResult => {
    const heads = new Map<string, number>();
    for (const [scope, expected] of request.expectedHeads) {
      const head = q.head.get(scope)?.head ?? 0;
      if (head !== expected) throw new StoreConflict(`head of ${scope} is ${head}, not ${expected}`);
      heads.set(scope, head);
    }
    const positions = new Map<string, number>();
    for (const [clientId, expected] of request.expectedClientSeqs) {
      const row = q.client.get(clientId);
      if ((row?.last_seq ?? 0) !== expected) throw new StoreConflict(`client ${clientId} moved past ${expected}`);
      positions.set(clientId, expected);
    }
    const events: WireEvent[][] = [];
    // One read and one write per client, not per command: a push is one client's commands.
    const clients = new Map<string, { userId: string; lastSeq: number; stored: boolean }>();
    for (const o of request.outcomes) {
      let head = heads.get(o.scope) ?? q.head.get(o.scope)?.head ?? 0;
      const firstSeq = head + 1;
      const stored: WireEvent[] = [];
      for (const e of o.events) {
        head++;
        q.insertEvent.run(o.scope, head, e.type, JSON.stringify(e.data), o.commandId, o.clientId, o.at);
        stored.push({
          seq: head,
          scope: o.scope,
          type: e.type,
          data: e.data,
          commandId: o.commandId,
          clientId: o.clientId,
          at: o.at,
        });
      }
      heads.set(o.scope, head);
      events.push(stored);
      let client = clients.get(o.clientId);
      if (!client) {
        const row = q.client.get(o.clientId);
        client = { userId: row?.user_id ?? o.userId, lastSeq: row?.last_seq ?? 0, stored: row !== undefined };
        clients.set(o.clientId, client);
      }
      if (client.userId !== o.userId) throw new StoreConflict(`client ${o.clientId} belongs to another user`);
      client.lastSeq = Math.max(client.lastSeq, o.seq);
      q.insertResult.run(
        o.clientId,
        o.seq,
        o.commandId,
        o.name,
        o.argsJson,
        o.status,
        o.scope,
        firstSeq,
        stored.length,
        o.code,
        o.message,
      );
      const a = o.audit;
      q.insertAudit.run(
        a.recordedAt,
        o.scope,
        o.commandId,
        o.clientId,
        o.userId,
        o.name,
        o.argsJson,
        o.seq,
        a.baseSeq,
        a.headSeq,
        a.outcome,
        o.code,
        o.message,
        JSON.stringify(stored.map((e) => e.seq)),
        a.intervenedCount,
        JSON.stringify(a.intervened),
      );
    }
    for (const [clientId, client] of clients) {
      if (client.stored) q.setClientSeq.run(client.lastSeq, clientId);
      else q.insertClient.run(clientId, client.userId, client.lastSeq);
    }
    for (const [scope, head] of heads) q.setHead.run(scope, head);
    return { events, heads };
  });

  // Group commit: the commits asked for in the same moment share one IMMEDIATE transaction,
  // so one fsync covers them all. Each runs in its own savepoint (better-sqlite3 nests
  // transactions that way), so one request's conflict rolls back only that request.
  const commitGroup = db.transaction((requests: CommitRequest[]) =>
    requests.map((request): { ok: true; value: CommitResult } | { ok: false; error: unknown } => {
      try {
        return { ok: true, value: commit(request) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
  let queue: Array<{ request: CommitRequest; resolve(value: CommitResult): void; reject(error: unknown): void }> = [];
  const flush = () => {
    // A group stops at about `GROUP_COMMANDS` commands, so one transaction never holds the
    // event loop long (pipelined pushes queue many); the rest goes in the next turn, in order.
    let take = 0;
    for (let commands = 0; take < queue.length && (take === 0 || commands < GROUP_COMMANDS); take++) {
      commands += queue[take]?.request.outcomes.length ?? 0;
    }
    const batch = queue.slice(0, take);
    queue = queue.slice(take);
    if (queue.length > 0) setImmediate(flush);
    if (batch.length === 0) return;
    let results: ReturnType<typeof commitGroup>;
    try {
      results = commitGroup.immediate(batch.map((entry) => entry.request));
    } catch (error) {
      for (const entry of batch) entry.reject(translateCommitError(error));
      return;
    }
    results.forEach((result, i) => {
      const entry = batch[i];
      if (!entry) return;
      if (result.ok) entry.resolve(result.value);
      else entry.reject(translateCommitError(result.error));
    });
  };

  return {
    kind: 'sqlite',
    // One connection and one queue: commits apply in the order they were asked for.
    ordersCommits: true,
    pragmas: () => ({
      journalMode: String(db.pragma('journal_mode', { simple: true })),
      synchronous: Number(db.pragma('synchronous', { simple: true })),
    }),
    commit(request) {
      return new Promise<CommitResult>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        if (queue.length === 1) setImmediate(flush);
      });
    },
    async readEvents(scope, after, limit) {
      const head = q.head.get(scope)?.head ?? 0;
      const rows = limit > 0 ? q.events.all(scope, after, limit) : [];
      return {
        head,
        events: rows.map((r) => ({
          seq: r.seq,
          scope: r.scope,
          type: r.type,
          data: JSON.parse(r.data) as unknown,
          commandId: r.command_id,
          clientId: r.client_id,
          at: r.at,
        })),
      };
    },
    async lookupClient(clientId, keys): Promise<ClientLookup> {
      const row = q.client.get(clientId);
      const found = new Map<string, StoredResult>();
      // A client's results all have seq ≤ its last_seq (a commit raises it to every seq it
      // stores), so the seqs of new commands need no look-up.
      const lastSeq = row?.last_seq ?? 0;
      for (const seq of keys.seqs) {
        if (seq > lastSeq) continue;
        const r = q.resultBySeq.get(clientId, seq);
        if (r) found.set(r.command_id, toResult(r));
      }
      const ids = keys.commandIds.filter((id) => !found.has(id));
      if (ids.length === 1) {
        const r = q.resultById.get(ids[0] as string);
        if (r) found.set(r.command_id, toResult(r));
      } else if (ids.length > 1) {
        for (const r of q.resultsByIds.all(JSON.stringify(ids))) found.set(r.command_id, toResult(r));
      }
      return {
        client: row ? { clientId: row.client_id, userId: row.user_id, lastSeq: row.last_seq } : null,
        results: [...found.values()],
      };
    },
    async queryAudit(query: AuditQuery) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      const add = (sql: string, value: string | number | undefined) => {
        if (value === undefined) return;
        where.push(sql);
        params.push(value);
      };
      add('scope = ?', query.scope);
      add('outcome = ?', query.outcome);
      add('client_id = ?', query.client);
      add('user_id = ?', query.user);
      add('name = ?', query.command);
      add('recorded_at >= ?', query.since);
      add('recorded_at < ?', query.until);
      add('id > ?', query.after);
      // A lost update is named inside the intervened JSON (see `markOverwrites`).
      if (query.overwrote) where.push(`intervened ${query.overwrote === 'true' ? '' : 'NOT '}LIKE '%"overwrote"%'`);
      const limit = query.limit;
      const rows = db
        .prepare(`SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`)
        .all(...params, limit + 1) as AuditRow[];
      const page = rows.slice(0, limit).map(toAudit);
      return { records: page, next: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
    },
    async loadSnapshot(scope): Promise<ScopeSnapshot | null> {
      const row = q.loadSnapshot.get(scope);
      return row ? { scope: row.scope, seq: row.seq, tables: JSON.parse(row.tables) as ScopeSnapshot['tables'] } : null;
    },
    async saveSnapshot(snapshot) {
      q.saveSnapshot.run(snapshot.scope, snapshot.seq, JSON.stringify(snapshot.tables));
    },
    async close() {
      if (db.open) flush(); // commits already asked for still land
      if (db.open) db.close();
    },
  };
}

function translateCommitError(error: unknown): unknown {
  if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_CONSTRAINT')) {
    return new StoreConflict(`a command id or (client, seq) is already stored: ${error.message}`);
  }
  return error;
}
