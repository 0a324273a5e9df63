import { createStore, get, set } from 'idb-keyval';

/**
 * Whether the app switched a client off the network (`setOnline(false)`), kept across reloads
 * and leader changes: an "offline" switch that a reload silently turned back on would push
 * what the user meant to keep local. Stored with idb-keyval beside the client's database.
 */
const store = (): ReturnType<typeof createStore> => createStore('weft-preferences', 'online');

export async function loadOnline(dbName: string): Promise<boolean> {
  try {
    return (await get<boolean>(dbName, store())) !== false;
  } catch {
    return true; // no IndexedDB for preferences: the switch starts on, as a fresh client does
  }
}

export async function saveOnline(dbName: string, online: boolean): Promise<void> {
  try {
    await set(dbName, online, store());
  } catch {
    // No IndexedDB for preferences (the in-memory fallback): the switch still applies, unremembered.
  }
}
