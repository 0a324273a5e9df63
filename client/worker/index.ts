/**
 * The engine's module worker: `exposeWeftWorker` serving the page's port, and
 * `createInlineClient` for an engine on the page's own thread.
 * Other folders of client/ import this folder only through this file (biome.json).
 */
export { createInlineClient } from './session-port.ts';
export { exposeWeftWorker, type WorkerEndpoint } from './worker.ts';
