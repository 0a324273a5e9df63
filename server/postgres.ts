/**
 * weft/server/postgres: the PostgreSQL store (several server nodes, LISTEN/NOTIFY fan-out) and
 * reaction checkpoints. Needs the optional peer dependency `pg` (`npm install pg`); importing
 * this entry without it throws an error naming the package.
 */
export { type PostgresCheckpointsOptions, postgresCheckpoints } from './reactions/postgres-checkpoints.ts';
export {
  type AppendListener,
  type PostgresEventStore,
  type PostgresStoreOptions,
  postgresStore,
} from './store/postgres.ts';
