/**
 * The engine API, defined once (`EngineApi`), its one message format validated at every
 * boundary, the client and server that carry it over a MessagePort or a BroadcastChannel, and
 * the one tracker of unsettled commands.
 * Other folders of client/ import this folder only through this file (biome.json).
 */
export type { Accepted, ClientStatus, EngineApi, SubmitOptions } from './engine-api.ts';
export { EngineClient } from './engine-client.ts';
export {
  type Event,
  EventsSchema,
  Id,
  MAX_SCOPES,
  type Request,
  RequestsSchema,
  Scopes,
  StatusSchema,
} from './engine-protocol.ts';
export { type EngineServer, serveEngine } from './engine-server.ts';
export { closedUpdate, UnsettledCommands } from './unsettled-commands.ts';
export { type FromWorker, parseFromWorker, parseToWorker, type ToWorker } from './worker-protocol.ts';
