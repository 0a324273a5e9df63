/**
 * weft/server/sqlite: the embedded SQLite store and reaction checkpoints. Needs the optional
 * peer dependency `better-sqlite3` (`npm install better-sqlite3`); importing this entry without
 * it throws an error naming the package.
 */
export { sqliteCheckpoints } from './reactions/sqlite-checkpoints.ts';
export { type SqliteEventStore, type SqliteStoreOptions, sqliteStore } from './store/sqlite.ts';
