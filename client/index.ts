/**
 * weft/client: what the page imports. `createClient` runs commands on the page's in-memory
 * replica and talks to the engine in a module worker (whose file calls `exposeWeftWorker` from
 * `weft/client/worker`); nothing here loads Dexie, IndexedDB, sync or the tab election, so they
 * stay in the worker's chunk.
 */

export { InvalidInputError } from './client-input.ts';
export type { RejectedRecord } from './client-storage.ts';
export { ClosedError } from './closed-error.ts';
export type { CommandTrace } from './command-trace.ts';
export type { CommandState, CommandUpdate } from './command-update.ts';
export { type ClientOptions, createClient, type WeftClient } from './create-client.ts';
export type { Accepted, ClientStatus } from './engine-api.ts';
export { CommandError, type Execution, type Submitted } from './execution.ts';
export type { OrderBy, Query } from './query.ts';
export type { StorageState, SyncStatus } from './status.ts';
export { type ClientTextSourceOptions, clientTextSource } from './text/text-source.ts';
export { bindTextarea, type TextBinding, type TextBindingOptions, type TextSource } from './text/textarea-binding.ts';
