/**
 * The page's client: `createClient`, input checks, the page's replica that decides `applied`
 * in the same task, and the port to the engine's worker.
 * Other folders of client/ import this folder only through this file (biome.json).
 */
export { InvalidInputError } from './client-input.ts';
export type { CommandTrace } from './command-trace.ts';
export { type ClientOptions, checkClientOptions, clientOn, createClient, type WeftClient } from './create-client.ts';
export type { Port, PortOptions } from './engine-port.ts';
