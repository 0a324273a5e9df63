/**
 * The client engine: commands run against memory, the outbox, reconciliation (`settle`) of
 * what the server confirms, lazy scopes and the row feed pages mirror.
 * Other folders of client/ import this folder only through this file (biome.json).
 */
export { Engine, type EngineOptions } from './engine.ts';
export type { FeedBatch } from './row-feed.ts';
