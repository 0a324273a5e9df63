/**
 * weft/client/worker: the engine, for the app's worker file (`exposeWeftWorker(app)`). It
 * holds everything heavy (engine, Dexie storage, sync, tab election), so only the worker's
 * chunk carries it. `createInlineClient` runs the same engine on the page's thread instead.
 */
export { createInlineClient, exposeWeftWorker, type WorkerEndpoint } from './worker/index.ts';
