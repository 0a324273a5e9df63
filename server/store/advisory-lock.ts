import type Pg from 'pg';

/**
 * Runs `fn` on one connection of `pool` while it holds PostgreSQL's session advisory lock
 * `key`, so nodes starting together take turns (schema set-up, migrations): the lock is released
 * and the connection returned to the pool whatever `fn` does.
 */
export async function withAdvisoryLock<T>(
  pool: Pg.Pool,
  key: number,
  fn: (client: Pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      return await fn(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    client.release();
  }
}
