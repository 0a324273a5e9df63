import type { AnyApp } from '../../shared/index.ts';
import type { EngineApi } from '../api/index.ts';
import { Engine } from '../engine/index.ts';
import { httpTransport, loadOnline, saveOnline, switchableTransport } from '../sync/index.ts';
import { engineBackend } from './backend.ts';
import { openClientStorage } from './open-storage.ts';

/** Where one client's engine syncs, and under which IndexedDB name it keeps its state. */
export interface SessionConfig {
  readonly url: string;
  readonly scopes: ReadonlyArray<string>;
  /** The bearer token, or a function returning the current one. */
  readonly auth?: string | (() => string | Promise<string>);
  /** One client per name and browser profile; the tabs that share it elect one leader. */
  readonly dbName: string;
}

/**
 * The leader tab's engine on `scopes`: HTTP through a switch that remembers the user's
 * online choice per `dbName`, on IndexedDB (or memory, flagged in status, where it cannot be
 * opened).
 */
export async function openTabEngine(
  app: AnyApp,
  config: SessionConfig,
  scopes: ReadonlyArray<string>,
): Promise<{ engine: Engine; backend: EngineApi }> {
  const { url, auth, dbName } = config;
  const transport = switchableTransport(httpTransport({ url, ...(auth === undefined ? {} : { auth }) }));
  transport.setEnabled(await loadOnline(dbName));
  const engine = await Engine.open({
    app,
    // IndexedDB, or memory (flagged in status) where it cannot be opened.
    ...(await openClientStorage({ dbName, tables: app.tables })),
    transport,
    scopes,
    // Opens with the outbox's scopes only: the first paint reads IndexedDB (lazy-scopes.ts).
    lazy: true,
  });
  const backend = engineBackend(engine, transport, (online) => saveOnline(dbName, online));
  return { engine, backend };
}
