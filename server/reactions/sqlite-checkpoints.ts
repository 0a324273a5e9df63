import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { WireEvent } from '../../shared/index.ts';
import { requirePeer } from '../require-peer.ts';
import type { CheckpointStore, ParkedEvents, ParkedInput } from './checkpoint-store.ts';

const Database = requirePeer<typeof BetterSqlite3>('better-sqlite3', 'weft/server/sqlite');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reaction_checkpoints (reaction TEXT PRIMARY KEY, audit_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reaction_parked (id INTEGER PRIMARY KEY AUTOINCREMENT, reaction TEXT NOT NULL,
  audit_id INTEGER NOT NULL, scope TEXT NOT NULL, events TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL,
  parked_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS reaction_parked_by_reaction ON reaction_parked (reaction, id);
`;

interface ParkedRow {
  id: number;
  reaction: string;
  audit_id: number;
  scope: string;
  events: string;
  error: string;
  attempts: number;
  parked_at: number;
}

/**
 * Checkpoints in SQLite on their own better-sqlite3 connection and tables (WAL,
 * `synchronous=FULL`), so a saved checkpoint survives power loss. `file` may be the event
 * store's own file: the tables do not collide and `busy_timeout` covers the two writers.
 */
export function sqliteCheckpoints(options: { file: string }): CheckpointStore {
  if (options.file !== ':memory:') mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const q = {
    get: db.prepare<[string], { audit_id: number }>('SELECT audit_id FROM reaction_checkpoints WHERE reaction = ?'),
    save: db.prepare(
      'INSERT INTO reaction_checkpoints (reaction, audit_id) VALUES (?, ?) ON CONFLICT (reaction) DO UPDATE SET audit_id = excluded.audit_id',
    ),
    list: db.prepare<[], { reaction: string; audit_id: number }>(
      'SELECT reaction, audit_id FROM reaction_checkpoints ORDER BY reaction',
    ),
    insertParked: db.prepare(
      'INSERT INTO reaction_parked (reaction, audit_id, scope, events, error, attempts, parked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    updateParked: db.prepare('UPDATE reaction_parked SET error = ?, attempts = ?, parked_at = ? WHERE id = ?'),
    parked: db.prepare<[string], ParkedRow>('SELECT * FROM reaction_parked WHERE reaction = ? ORDER BY id'),
    unpark: db.prepare('DELETE FROM reaction_parked WHERE reaction = ? AND id = ?'),
  };
  const park = db.transaction((entry: ParkedInput, checkpoint: number | undefined): number => {
    let id = entry.id;
    if (id === undefined) {
      const { reaction, auditId, scope, events, error, attempts, parkedAt } = entry;
      id = Number(
        q.insertParked.run(reaction, auditId, scope, JSON.stringify(events), error, attempts, parkedAt).lastInsertRowid,
      );
    } else {
      q.updateParked.run(entry.error, entry.attempts, entry.parkedAt, id);
    }
    if (checkpoint !== undefined) q.save.run(entry.reaction, checkpoint);
    return id;
  });
  return {
    kind: 'sqlite',
    async get(reaction) {
      return q.get.get(reaction)?.audit_id ?? 0;
    },
    async save(reaction, auditId) {
      q.save.run(reaction, auditId);
    },
    async list() {
      return q.list.all().map((row) => ({ reaction: row.reaction, auditId: row.audit_id }));
    },
    async park(entry, checkpoint) {
      return park(entry, checkpoint);
    },
    async parked(reaction): Promise<ParkedEvents[]> {
      return q.parked.all(reaction).map((row) => ({
        id: row.id,
        reaction: row.reaction,
        auditId: row.audit_id,
        scope: row.scope,
        events: JSON.parse(row.events) as WireEvent[],
        error: row.error,
        attempts: row.attempts,
        parkedAt: row.parked_at,
      }));
    },
    async unpark(reaction, id) {
      q.unpark.run(reaction, id);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
