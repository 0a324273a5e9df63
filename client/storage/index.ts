/**
 * Where a client keeps its state: the `ClientStorage` port, its IndexedDB (Dexie) and memory
 * adapters, and the writer that commits to it in groups.
 * Other folders of client/ import this folder only through this file (biome.json).
 */
export {
  type ClientStorage,
  CONFIRMED_RECORDS_KEPT,
  type LoadRequest,
  type OutboxRecord,
  type RejectedRecord,
  type RowWrite,
  type ScopeMark,
  type ScopeMeta,
  type SettledRecord,
  type StorageCommit,
  type StoredState,
} from './client-storage.ts';
export { openDexieStorage } from './dexie-storage.ts';
export { memoryStorage } from './memory-storage.ts';
export { describeStorageError } from './storage-error.ts';
export { clientIdReplaced } from './storage-marker.ts';
export { StorageWriter, type StorageWriterOptions } from './storage-writer.ts';
