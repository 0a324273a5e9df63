/** A row a writer changed (put or deleted): live queries and row feeds read its new version themselves. */
export interface ChangedRow {
  readonly table: string;
  readonly key: string;
}

/** Scope → table → the keys that changed, or `'all'` when the whole table did. */
export type DirtyChanges = Map<string, Map<string, Set<string> | 'all'>>;

/**
 * The rows changed since the last `take`, by scope and table: what live queries and row feeds
 * collect between flushes, so a row changed twice is read once. A whole-table change absorbs
 * the keys of that table.
 */
export class DirtyRows {
  #changes: DirtyChanges = new Map();

  get empty(): boolean {
    return this.#changes.size === 0;
  }

  changed(scope: string, rows: Iterable<ChangedRow>): void {
    const dirty = this.#scope(scope);
    for (const { table, key } of rows) {
      const keys = dirty.get(table);
      if (keys === 'all') continue;
      if (keys) keys.add(key);
      else dirty.set(table, new Set([key]));
    }
  }

  invalidate(scope: string, tables: Iterable<string>): void {
    const dirty = this.#scope(scope);
    for (const table of tables) dirty.set(table, 'all');
  }

  /** What changed since the last `take`; starts over empty. */
  take(): DirtyChanges {
    const changes = this.#changes;
    this.#changes = new Map();
    return changes;
  }

  #scope(scope: string): Map<string, Set<string> | 'all'> {
    let dirty = this.#changes.get(scope);
    if (!dirty) {
      dirty = new Map();
      this.#changes.set(scope, dirty);
    }
    return dirty;
  }
}
