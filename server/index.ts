/** weft/server: the authoritative server as a Hono app, its store port and adapters. */
export type { Auth, Principal, Right } from './auth.ts';
export { bearerAuth, bearerToken } from './auth.ts';
export type { RequestLogEntry, ServerOptions } from './create-server.ts';
export { createServer } from './create-server.ts';
export type { FaultHook, FaultPoint } from './faults.ts';
export { FAULT_POINTS } from './faults.ts';
export type { Limits } from './limits.ts';
export { DEFAULT_LIMITS } from './limits.ts';
export type { ServeNodeOptions } from './node-serve.ts';
export { nodeServerOptions, serveNode } from './node-serve.ts';
export type { BackoffOptions, ReactionClock } from './reactions/backoff.ts';
export { backoffDelay, systemClock } from './reactions/backoff.ts';
export type { CheckpointStore, ParkedEvents, ParkedInput } from './reactions/checkpoint-store.ts';
export { memoryCheckpoints } from './reactions/memory-checkpoints.ts';
export type { PostgresCheckpointsOptions } from './reactions/postgres-checkpoints.ts';
export { postgresCheckpoints } from './reactions/postgres-checkpoints.ts';
export type { Reaction, ReactionContext } from './reactions/reaction.ts';
export { defineReaction } from './reactions/reaction.ts';
export type { ReactionRunnerOptions, ReactionStatus } from './reactions/reaction-runner.ts';
export { createReactionRunner, ReactionRunner } from './reactions/reaction-runner.ts';
export type { ReactionState } from './reactions/reaction-worker.ts';
export type { ReadModel } from './reactions/read-model.ts';
export { readModel } from './reactions/read-model.ts';
export { reactionClientId, sagaCommandId } from './reactions/saga-commands.ts';
export { sqliteCheckpoints } from './reactions/sqlite-checkpoints.ts';
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
export type { AppendListener, PostgresEventStore, PostgresStoreOptions } from './store/postgres.ts';
export { postgresStore } from './store/postgres.ts';
export type { SqliteEventStore } from './store/sqlite.ts';
export { sqliteStore } from './store/sqlite.ts';
export { WEFT_VERSION } from './version.ts';
