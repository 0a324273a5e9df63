/**
 * One engine per client across tabs: the leader election, the leader serving the other tabs,
 * failover that moves a tab's calls to a new leader, and opening the leader's engine.
 * Other folders of client/ import this folder only through this file (biome.json).
 */
export { engineBackend } from './backend.ts';
export { type OpenedStorage, openClientStorage } from './open-storage.ts';
export { TabSession } from './tabs.ts';
export { parseTabMessage } from './tabs-protocol.ts';
