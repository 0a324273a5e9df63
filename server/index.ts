/** weft/server: the authoritative server as a Hono app, its store port and adapters. */
export type { Auth, Principal, Right } from './auth.ts';
export { bearerAuth, bearerToken } from './auth.ts';
export type { RequestLogEntry, ServerOptions } from './create-server.ts';
export { createServer } from './create-server.ts';
export type { FaultHook, FaultPoint } from './faults.ts';
export { FAULT_POINTS } from './faults.ts';
export type { Limits } from './limits.ts';
export { DEFAULT_LIMITS } from './limits.ts';
export type { ScopeCacheOptions } from './scope-cache.ts';
export type {
  AuditEntry,
  ClientLookup,
  ClientRecord,
  CommandOutcome,
  CommitRequest,
  CommitResult,
  EventStore,
  ScopeSnapshot,
  StoredResult,
} from './store/port.ts';
export { StoreConflict } from './store/port.ts';
export type { SqliteEventStore } from './store/sqlite.ts';
export { sqliteStore } from './store/sqlite.ts';
export { WEFT_VERSION } from './version.ts';
