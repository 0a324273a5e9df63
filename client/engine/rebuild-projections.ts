import { type AnyApp, MemoryTables } from '../../shared/index.ts';
import type { ClientStorage, RowWrite, ScopeMeta, StorageCommit, StoredState } from '../storage/index.ts';
import { applyConfirmed } from './apply-confirmed.ts';

/**
 * Rebuild at open, after an app upgrade. A scope's stored rows are the work of the projection
 * code that wrote them (its scope meta's `appVersion`; none recorded: version 1). When that is
 * not this app's version, the rows are dropped and rebuilt by replaying the scope's stored
 * events with the current code, which also clears or renews its mark (an event an old app
 * could not read, a handler since fixed).
 *
 * Invariants:
 * - One commit per scope: the old rows stay until the new ones commit, so a crash midway
 *   leaves the scope as it was, and the next open simply rebuilds it again.
 * - The outbox, the seq counter and the settled records are never touched.
 * - A scope whose stored events do not run from seq 1 to its cursor (bootstrapped from a
 *   snapshot) cannot be replayed here: it is reset instead, and bootstraps from the server.
 * - Replay is the same `applyConfirmed` that built the rows incrementally, so for the same
 *   code the result is the same rows (rebuild equivalence).
 *
 * Returns the stored state with the rebuilt scopes' rows, cursors and meta replaced.
 */
export async function rebuildOutdatedScopes(
  app: AnyApp,
  storage: ClientStorage,
  stored: StoredState,
  scopes: ReadonlyArray<string>,
): Promise<StoredState> {
  const current: ScopeMeta = { appVersion: app.version, mark: null };
  const replaced = new Map<string, { rows: RowWrite[]; cursor: number | null; meta: ScopeMeta }>();
  const unbuilt: Record<string, ScopeMeta> = {};
  for (const scope of new Set(scopes)) {
    if ((stored.scopeMeta[scope]?.appVersion ?? 1) === app.version) continue;
    const cursor = stored.cursors[scope] ?? 0;
    if (cursor === 0) {
      unbuilt[scope] = current; // nothing projected yet: only record who builds it from now on
      continue;
    }
    const events = await storage.readEvents(scope);
    if (events[0]?.seq !== 1 || events.length !== cursor || events.at(-1)?.seq !== cursor) {
      await storage.commit({ resetScopes: [scope], scopeMeta: { [scope]: current } });
      replaced.set(scope, { rows: [], cursor: null, meta: current });
      continue;
    }
    const tables = new MemoryTables(app.tables);
    const result = applyConfirmed(app, tables, scope, 0, events);
    const rows = rowsOf(app, scope, tables);
    const meta: ScopeMeta = { appVersion: app.version, mark: result.mark };
    const commit: StorageCommit = {
      resetScopes: [scope],
      events,
      rows,
      cursors: { [scope]: cursor },
      scopeMeta: { [scope]: meta },
    };
    await storage.commit(commit);
    replaced.set(scope, { rows, cursor, meta });
  }
  if (Object.keys(unbuilt).length > 0) await storage.commit({ scopeMeta: unbuilt });
  if (replaced.size === 0 && Object.keys(unbuilt).length === 0) return stored;

  const cursors = { ...stored.cursors };
  const scopeMeta = { ...stored.scopeMeta, ...unbuilt };
  for (const [scope, { cursor, meta }] of replaced) {
    if (cursor === null) delete cursors[scope];
    else cursors[scope] = cursor;
    scopeMeta[scope] = meta;
  }
  const rows = stored.rows.filter((row) => !replaced.has(row.scope));
  for (const { rows: rebuilt } of replaced.values()) rows.push(...rebuilt);
  return { ...stored, cursors, rows, scopeMeta };
}

/** Every row of a scope's tables, as storage writes them. */
export function rowsOf(app: AnyApp, scope: string, tables: MemoryTables): RowWrite[] {
  return Object.entries(tables.dump()).flatMap(([table, list]) =>
    list.map((row) => ({ table, scope, key: String(row[app.tables[table]?.key ?? '']), row })),
  );
}
