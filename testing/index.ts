/**
 * weft/testing: the engine and its adapters as parts, for an app's own tests and tools. Run the
 * client engine in Node against a memory transport (with fault injection) or the Hono app's
 * `request`, over memory storage or fake-indexeddb; inject server faults at named points.
 * These are stable enough to test with, but not the app API: apps use `weft/client` and
 * `weft/client/worker`.
 *
 * @example
 * const server = createServer({ app, store: sqliteStore({ file: ':memory:' }), auth });
 * const engine = await Engine.open(app, { storage: memoryStorage(), transport: httpTransport({ url: 'http://test', fetch: server.request }), scopes });
 */
export { type BackoffOptions, type Clock, systemClock } from '../client/base/backoff.ts';
export { Engine, type EngineOptions } from '../client/engine/engine.ts';
export type {
  ClientStorage,
  LoadRequest,
  OutboxRecord,
  RejectedRecord,
  RowWrite,
  SettledRecord,
  StorageCommit,
  StoredState,
} from '../client/storage/client-storage.ts';
export { type DexieStorageOptions, dexieStorage } from '../client/storage/dexie-storage.ts';
export { memoryStorage } from '../client/storage/memory-storage.ts';
export { type HttpTransportOptions, httpTransport } from '../client/sync/http-transport.ts';
export { MemoryTransport, type MemoryTransportOptions } from '../client/sync/memory-transport.ts';
export { type SwitchableTransport, switchableTransport } from '../client/sync/switchable-transport.ts';
export type { SyncOptions } from '../client/sync/sync-loop.ts';
export type { LiveHandlers, Transport, TransportFailure, TransportResult } from '../client/sync/transport.ts';
export { type OpenedStorage, type OpenStorageOptions, openClientStorage } from '../client/tabs/open-storage.ts';
export type { SessionConfig } from '../client/tabs/tabs.ts';
export { TabMessageError } from '../client/tabs/tabs-protocol.ts';
export { FAULT_POINTS, type FaultHook, type FaultPoint } from '../server/faults.ts';
export { executeCommand, MemoryTables, OverlayTables } from '../shared/index.ts';
