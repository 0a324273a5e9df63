/**
 * Queries over projection rows: the query shape the app passes, running it over one store, and
 * live queries kept current by row diffs.
 * Other folders of client/ import this folder only through this file (biome.json).
 */
export { type ChangedRow, DirtyRows } from './dirty-rows.ts';
export { type LiveDiff, LiveQueries } from './live-queries.ts';
export { mergeScopes, type OrderBy, type Query, runQuery, sameRows } from './query.ts';
