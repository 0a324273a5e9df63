/** weft/client: the main-thread API, its worker, the engine, its storage and transport adapters. */
export type { Accepted, ClientStatus } from './backend.ts';
export { type BackoffOptions, type Clock, systemClock } from './backoff.ts';
export { InvalidInputError } from './client-input.ts';
export type {
  ClientStorage,
  LoadRequest,
  OutboxRecord,
  RejectedRecord,
  RowWrite,
  SettledRecord,
  StorageCommit,
  StoredState,
} from './client-storage.ts';
export { ClosedError } from './closed-error.ts';
export type { CommandState, CommandUpdate } from './command-lifecycle.ts';
export { type ClientOptions, createClient, type WeftClient } from './create-client.ts';
export { type DexieStorageOptions, dexieStorage } from './dexie-storage.ts';
export { Engine, type EngineOptions } from './engine.ts';
export { CommandError, type Execution, type Submitted } from './execution.ts';
export { type HttpTransportOptions, httpTransport } from './http-transport.ts';
export { memoryStorage } from './memory-storage.ts';
export { MemoryTransport, type MemoryTransportOptions } from './memory-transport.ts';
export { type OpenedStorage, type OpenStorageOptions, openClientStorage } from './open-storage.ts';
export type { OrderBy, Query } from './query.ts';
export type { StorageState, SyncStatus } from './status.ts';
export { type SwitchableTransport, switchableTransport } from './switchable-transport.ts';
export type { SyncOptions } from './sync-loop.ts';
export type { SessionConfig } from './tabs.ts';
export { TabMessageError } from './tabs-protocol.ts';
export { type ClientTextSourceOptions, clientTextSource } from './text/text-source.ts';
export { bindTextarea, type TextBinding, type TextBindingOptions, type TextSource } from './text/textarea-binding.ts';
export type { LiveHandlers, Transport, TransportFailure, TransportResult } from './transport.ts';
export { exposeWeftWorker, type WeftWorkerApi } from './worker.ts';
