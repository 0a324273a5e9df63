/**
 * weft/client: what the page imports. `createClient` runs commands on the page's in-memory
 * replica and talks to the engine in a module worker (whose file calls `exposeWeftWorker` from
 * `weft/client/worker`); nothing here loads Dexie, IndexedDB, sync or the tab election, so they
 * stay in the worker's chunk.
 */

export type { Accepted, ClientStatus } from './api/index.ts';
export type { CommandState, CommandUpdate } from './base/index.ts';
export { ClosedError, CommandError, type Execution, type Submitted } from './base/index.ts';
export type { CommandTrace } from './page/index.ts';
export { type ClientOptions, createClient, InvalidInputError, type WeftClient } from './page/index.ts';
export type { OrderBy, Query } from './query/index.ts';
export type { RejectedRecord } from './storage/index.ts';
export type { StorageState, SyncStatus } from './sync/index.ts';
export { type ClientTextSourceOptions, clientTextSource } from './text/text-source.ts';
export { bindTextarea, type TextBinding, type TextBindingOptions, type TextSource } from './text/textarea-binding.ts';
