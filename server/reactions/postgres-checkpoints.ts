import type Pg from 'pg';
import type { WireEvent } from '../../shared/index.ts';
import { requirePeer } from '../require-peer.ts';
import { withAdvisoryLock } from '../store/advisory-lock.ts';
import type { CheckpointStore, ParkedEvents, ParkedInput } from './checkpoint-store.ts';

const pg = requirePeer<typeof Pg>('pg', 'weft/server/postgres');

export interface PostgresCheckpointsOptions {
  readonly connectionString: string;
  /** The schema the tables live in, created if missing (default `public`): the event store's. */
  readonly schema?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reaction_checkpoints (reaction text PRIMARY KEY, audit_id bigint NOT NULL);
CREATE TABLE IF NOT EXISTS reaction_parked (id bigserial PRIMARY KEY, reaction text NOT NULL,
  audit_id bigint NOT NULL, scope text NOT NULL, events text NOT NULL, error text NOT NULL, attempts integer NOT NULL,
  parked_at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS reaction_parked_by_reaction ON reaction_parked (reaction, id);
`;
/** The first key of the reactions' advisory locks; the second is the reaction name's hash. */
const LEASE_CLASS = 0x77656676;
/** Serialises the CREATE TABLE IF NOT EXISTS of nodes starting together (it is not concurrency-safe). */
const SETUP_LOCK = 0x77656677;

interface ParkedRow {
  id: string;
  reaction: string;
  audit_id: string;
  scope: string;
  events: string;
  error: string;
  attempts: number;
  parked_at: string;
}

/**
 * Checkpoints in the PostgreSQL database the event store uses, for several server nodes: the
 * checkpoint of a reaction is shared, and `lease` lets one node at a time run each reaction.
 * A lease is a session advisory lock held by one connection of this store: it lasts as long as
 * that connection, so a node that dies (or loses its connection) frees its reactions for the
 * others at once, with no expiry to tune.
 *
 * @example
 * const checkpoints = postgresCheckpoints({ connectionString: process.env.WEFT_STORE! });
 * const reactions = createReactionRunner({ reactions: [mailer], checkpoints });
 */
export function postgresCheckpoints(options: PostgresCheckpointsOptions): CheckpointStore {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/u.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const config: Pg.ClientConfig = { connectionString: options.connectionString, options: `-c search_path=${schema}` };
  const pool = new pg.Pool({ ...config, max: 4 });
  pool.on('error', (error) => console.error('weft: idle PostgreSQL connection failed', error));
  const ready = setUp(pool, schema);
  const leases = new LeaseHolder(config);
  let closing: Promise<void> | null = null;
  const query = async <R extends Pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    await ready;
    return (await pool.query<R>(text, values)).rows;
  };
  return {
    kind: 'postgres',
    async get(reaction) {
      const rows = await query<{ audit_id: string }>('SELECT audit_id FROM reaction_checkpoints WHERE reaction = $1', [
        reaction,
      ]);
      return Number(rows[0]?.audit_id ?? 0);
    },
    async save(reaction, auditId) {
      await query(
        `INSERT INTO reaction_checkpoints (reaction, audit_id) VALUES ($1, $2)
         ON CONFLICT (reaction) DO UPDATE SET audit_id = excluded.audit_id`,
        [reaction, auditId],
      );
    },
    async list() {
      const rows = await query<{ reaction: string; audit_id: string }>(
        'SELECT reaction, audit_id FROM reaction_checkpoints ORDER BY reaction',
      );
      return rows.map((row) => ({ reaction: row.reaction, auditId: Number(row.audit_id) }));
    },
    async park(entry: ParkedInput, checkpoint?: number) {
      await ready;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        let id = entry.id;
        if (id === undefined) {
          const { reaction, auditId, scope, events, error, attempts, parkedAt } = entry;
          const { rows } = await client.query<{ id: string }>(
            `INSERT INTO reaction_parked (reaction, audit_id, scope, events, error, attempts, parked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
            [reaction, auditId, scope, JSON.stringify(events), error, attempts, parkedAt],
          );
          id = Number(rows[0]?.id);
        } else {
          await client.query('UPDATE reaction_parked SET error = $1, attempts = $2, parked_at = $3 WHERE id = $4', [
            entry.error,
            entry.attempts,
            entry.parkedAt,
            id,
          ]);
        }
        if (checkpoint !== undefined) {
          await client.query(
            `INSERT INTO reaction_checkpoints (reaction, audit_id) VALUES ($1, $2)
             ON CONFLICT (reaction) DO UPDATE SET audit_id = excluded.audit_id`,
            [entry.reaction, checkpoint],
          );
        }
        await client.query('COMMIT');
        return id;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async parked(reaction): Promise<ParkedEvents[]> {
      const rows = await query<ParkedRow>('SELECT * FROM reaction_parked WHERE reaction = $1 ORDER BY id', [reaction]);
      return rows.map((row) => ({
        id: Number(row.id),
        reaction: row.reaction,
        auditId: Number(row.audit_id),
        scope: row.scope,
        events: JSON.parse(row.events) as WireEvent[],
        error: row.error,
        attempts: Number(row.attempts),
        parkedAt: Number(row.parked_at),
      }));
    },
    async unpark(reaction, id) {
      await query('DELETE FROM reaction_parked WHERE reaction = $1 AND id = $2', [reaction, id]);
    },
    lease: (reaction) => leases.hold(reaction),
    close() {
      closing ??= (async () => {
        await leases.close();
        await ready.catch(() => undefined);
        await pool.end();
      })();
      return closing;
    },
  };
}

async function setUp(pool: Pg.Pool, schema: string): Promise<void> {
  await withAdvisoryLock(pool, SETUP_LOCK, async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(SCHEMA);
  });
}

/**
 * The leases of one store, on one dedicated connection. A lease once taken is kept until the
 * store closes or the connection fails; a failed connection loses every lease (PostgreSQL
 * released the locks), and the next `hold` opens a new one and tries again.
 */
class LeaseHolder {
  readonly #config: Pg.ClientConfig;
  readonly #held = new Set<string>();
  #client: Promise<Pg.Client> | null = null;
  /** Which connection is current, so a late event of an old one does not drop the new one. */
  #generation = 0;
  #closed = false;

  constructor(config: Pg.ClientConfig) {
    this.#config = config;
  }

  async hold(reaction: string): Promise<boolean> {
    if (this.#closed) return false;
    if (this.#held.has(reaction)) return true;
    this.#client ??= this.#connect();
    const client = await this.#client;
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
      LEASE_CLASS,
      reaction,
    ]);
    if (rows[0]?.ok !== true) return false;
    this.#held.add(reaction);
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#held.clear();
    const client = await this.#client?.catch(() => null);
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<Pg.Client> {
    const client = new pg.Client(this.#config);
    const generation = ++this.#generation;
    const lost = () => {
      if (generation !== this.#generation) return;
      this.#held.clear();
      this.#client = null;
    };
    client.on('error', (error) => {
      if (!this.#closed) console.error('weft: PostgreSQL lease connection failed; reactions stand by', error.message);
      lost();
    });
    client.on('end', lost);
    try {
      await client.connect();
    } catch (error) {
      lost();
      throw error;
    }
    return client;
  }
}
