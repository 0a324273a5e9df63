import { type AnyApp, MemoryTables, OverlayTables, type Row } from '../../shared/index.ts';
import type { ScopeMark, StoredState } from '../storage/index.ts';

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
  /**
   * Whether `confirmed` holds the scope's stored rows. A lazy engine (engine.ts) opens the
   * scopes with no pending command unloaded: `cursor` and `mark` are known, the rows are still
   * only in storage, and queries of the scope read storage until it loads.
   */
  loaded: boolean;
}

export function emptyScopeState(app: AnyApp, scope: string): ScopeState {
  const confirmed = new MemoryTables(app.tables);
  return { scope, confirmed, cursor: 0, overlay: new OverlayTables(app.tables, confirmed), mark: null, loaded: true };
}

/**
 * Builds the scopes' states from what storage loaded (overlays still empty). With `loaded`,
 * only those scopes count as loaded (their rows are in `stored.rows`); the others wait for
 * `fillScope`.
 */
export function loadScopeStates(
  app: AnyApp,
  scopes: Iterable<string>,
  stored: Pick<StoredState, 'cursors' | 'rows' | 'scopeMeta'>,
  loaded?: ReadonlySet<string>,
): Map<string, ScopeState> {
  const states = new Map<string, ScopeState>();
  for (const scope of scopes) {
    const state = emptyScopeState(app, scope);
    state.cursor = stored.cursors[scope] ?? 0;
    state.mark = stored.scopeMeta[scope]?.mark ?? null;
    state.loaded = loaded === undefined || loaded.has(scope);
    states.set(scope, state);
  }
  for (const { table, scope, row } of stored.rows) {
    const state = states.get(scope);
    if (row && state?.loaded) putRow(app, state, table, row);
  }
  return states;
}

/** Puts a scope's stored rows into its confirmed tables (in place: its overlay reads through). */
export function fillScope(app: AnyApp, state: ScopeState, rows: ReadonlyArray<{ table: string; row: Row }>): void {
  for (const { table, row } of rows) putRow(app, state, table, row);
  state.loaded = true;
}

function putRow(app: AnyApp, state: ScopeState, table: string, row: Row): void {
  // Rows of a table the app no longer declares stay on disk but are not served.
  if (Object.hasOwn(app.tables, table)) state.confirmed.put(table, row);
}
