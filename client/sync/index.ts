/**
 * Talking to the server: transports (HTTP, in memory), the push and read loops, and the status
 * they report.
 * Other folders of client/ import this folder only through this file (biome.json).
 */
export { httpTransport } from './http-transport.ts';
export { MemoryTransport } from './memory-transport.ts';
export { loadOnline, saveOnline } from './online-preference.ts';
export { INITIAL_STATUS, StatusStore, type StorageState, type SyncStatus } from './status.ts';
export { type SwitchableTransport, switchableTransport } from './switchable-transport.ts';
export { type SyncHost, SyncLoop, type SyncOptions } from './sync-loop.ts';
export type { LiveHandlers, Transport, TransportFailure, TransportResult } from './transport.ts';
