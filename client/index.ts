/**
 * weft/client: what the page imports. `createClient` talks to the engine in a module worker
 * (whose file calls `exposeWeftWorker` from `weft/client/worker`); nothing here loads the
 * engine, Dexie or IndexedDB, so they stay in the worker's chunk.
 */
export type { Accepted, ClientStatus } from './backend.ts';
export { InvalidInputError } from './client-input.ts';
export type { RejectedRecord } from './client-storage.ts';
export { ClosedError } from './closed-error.ts';
export type { CommandState, CommandUpdate } from './command-lifecycle.ts';
export { type ClientOptions, createClient, type WeftClient } from './create-client.ts';
export { CommandError, type Execution, type Submitted } from './execution.ts';
export type { OrderBy, Query } from './query.ts';
export type { StorageState, SyncStatus } from './status.ts';
