import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type TestPostgres } from './postgres.ts';

/**
 * One throwaway PostgreSQL for a test file: started in `beforeAll`, stopped in `afterAll`. Read
 * its members inside hooks and tests, once it has started. (Kept apart from `postgres.ts`, which
 * the bench imports outside vitest.)
 */
export function postgresForFile(): Pick<TestPostgres, 'url' | 'createDatabase'> {
  let pg: TestPostgres | undefined;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });
  const started = (): TestPostgres => {
    if (!pg) throw new Error('PostgreSQL has not started: use it inside a test');
    return pg;
  };
  return {
    get url() {
      return started().url;
    },
    createDatabase: (name) => started().createDatabase(name),
  };
}
