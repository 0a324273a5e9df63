/**
 * weft/server: the authoritative server as a Hono app, its store port, reactions and audit.
 * The store adapters that need a database driver are entries of their own
 * (`weft/server/sqlite`, `weft/server/postgres`), so importing this one loads neither driver.
 */
export type { Auth, Principal, Right } from './auth.ts';
export { bearerAuth, bearerToken } from './auth.ts';
export type { RequestLogEntry, ServerOptions } from './create-server.ts';
export { createServer } from './create-server.ts';
export type { Limits } from './limits.ts';
export { DEFAULT_LIMITS } from './limits.ts';
export type { BackoffOptions, ReactionClock } from './reactions/backoff.ts';
export { backoffDelay, systemClock } from './reactions/backoff.ts';
export type { CheckpointStore, ParkedEvents, ParkedInput } from './reactions/checkpoint-store.ts';
export { memoryCheckpoints } from './reactions/memory-checkpoints.ts';
export type { Reaction, ReactionContext } from './reactions/reaction.ts';
export { defineReaction } from './reactions/reaction.ts';
export type { ReactionRunnerOptions, ReactionStatus } from './reactions/reaction-runner.ts';
export { createReactionRunner, ReactionRunner } from './reactions/reaction-runner.ts';
export type { ReactionState } from './reactions/reaction-worker.ts';
export type { ReadModel } from './reactions/read-model.ts';
export { readModel } from './reactions/read-model.ts';
export { reactionClientId, sagaCommandId } from './reactions/saga-commands.ts';
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
export { WEFT_VERSION } from './version.ts';
