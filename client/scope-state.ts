import { type AnyApp, MemoryTables, OverlayTables } from '../shared/index.ts';
import type { ScopeMark, StoredState } from './client-storage.ts';

/**
 * What the engine holds of one scope: its confirmed rows (as the server's events made them),
 * the seq of the last confirmed event applied, and the optimistic overlay of the scope's
 * pending commands on top. Queries and commands read `overlay`; only confirmed events write
 * `confirmed`. `mark` says when `confirmed` does not reflect every event up to `cursor`.
 */
export interface ScopeState {
  readonly scope: string;
  confirmed: MemoryTables;
  cursor: number;
  overlay: OverlayTables;
  mark: ScopeMark | null;
}

export function emptyScopeState(app: AnyApp, scope: string): ScopeState {
  const confirmed = new MemoryTables(app.tables);
  return { scope, confirmed, cursor: 0, overlay: new OverlayTables(app.tables, confirmed), mark: null };
}

/** Builds the scopes' states from what storage loaded (overlays still empty). */
export function loadScopeStates(
  app: AnyApp,
  scopes: Iterable<string>,
  stored: Pick<StoredState, 'cursors' | 'rows' | 'scopeMeta'>,
): Map<string, ScopeState> {
  const states = new Map<string, ScopeState>();
  for (const scope of scopes) {
    const state = emptyScopeState(app, scope);
    state.cursor = stored.cursors[scope] ?? 0;
    state.mark = stored.scopeMeta[scope]?.mark ?? null;
    states.set(scope, state);
  }
  for (const { table, scope, row } of stored.rows) {
    // Rows of a table the app no longer declares stay on disk but are not served.
    if (row && Object.hasOwn(app.tables, table)) states.get(scope)?.confirmed.put(table, row);
  }
  return states;
}
