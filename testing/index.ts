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
export { type BackoffOptions, type Clock, systemClock } from '../client/backoff.ts';
export type {
  ClientStorage,
  LoadRequest,
  OutboxRecord,
  RejectedRecord,
  RowWrite,
  SettledRecord,
  StorageCommit,
  StoredState,
} from '../client/client-storage.ts';
export { type DexieStorageOptions, dexieStorage } from '../client/dexie-storage.ts';
export { Engine, type EngineOptions } from '../client/engine.ts';
export { type HttpTransportOptions, httpTransport } from '../client/http-transport.ts';
export { memoryStorage } from '../client/memory-storage.ts';
export { MemoryTransport, type MemoryTransportOptions } from '../client/memory-transport.ts';
export { type OpenedStorage, type OpenStorageOptions, openClientStorage } from '../client/open-storage.ts';
export { type SwitchableTransport, switchableTransport } from '../client/switchable-transport.ts';
export type { SyncOptions } from '../client/sync-loop.ts';
export type { SessionConfig } from '../client/tabs.ts';
export { TabMessageError } from '../client/tabs-protocol.ts';
export type { LiveHandlers, Transport, TransportFailure, TransportResult } from '../client/transport.ts';
export { FAULT_POINTS, type FaultHook, type FaultPoint } from '../server/faults.ts';
export { executeCommand, MemoryTables, OverlayTables } from '../shared/index.ts';
