import {
  type AnyApp,
  applyEvent,
  MemoryTables,
  type Row,
  type TableQuery,
  type WireEvent,
} from '../../shared/index.ts';
import { defineReaction, type Reaction } from './reaction.ts';

/** A reaction that keeps a projection on the server, served read-only by `GET /v1/query/:table`. */
export interface ReadModel extends Reaction {
  readonly tables: ReadonlyArray<string>;
  /**
   * The rows of `table` in `scope` that `query` reads (without one: all, sorted by key), and the
   * last seq of `scope` applied. Throws a `QueryError` when no declared index serves `query`.
   */
  query(table: string, scope: string, query?: TableQuery): { rows: Row[]; seq: number };
}

/**
 * Maintains `app`'s projection tables (its own `tables` and `projections`, which may be the
 * synced app's or a server-only definition) per scope, in memory. It replays the feed on every
 * start (`checkpoint: 'memory'`) and skips any event at or below a scope's applied seq, so
 * re-delivery changes nothing.
 *
 * @example
 * const boards = readModel({ name: 'boards', app: kanban, scopePrefix: 'board:' });
 */
export function readModel(options: { name: string; app: AnyApp; scopePrefix?: string }): ReadModel {
  const { app } = options;
  const scopes = new Map<string, { tables: MemoryTables; seq: number }>();
  const apply = (event: WireEvent) => {
    let state = scopes.get(event.scope);
    if (!state) {
      state = { tables: new MemoryTables(app.tables), seq: 0 };
      scopes.set(event.scope, state);
    }
    if (event.seq <= state.seq) return;
    applyEvent(app, state.tables, event);
    state.seq = event.seq;
  };
  return defineReaction({
    name: options.name,
    events: Object.keys(app.projections),
    ...(options.scopePrefix === undefined ? {} : { scopePrefix: options.scopePrefix }),
    checkpoint: 'memory' as const,
    batchSize: 1000,
    tables: Object.keys(app.tables),
    handle(events: ReadonlyArray<WireEvent>) {
      for (const event of events) apply(event);
    },
    query(table: string, scope: string, query?: TableQuery) {
      // Planned on an empty store too, so a query no index serves fails the same for every scope.
      const tables = scopes.get(scope)?.tables ?? new MemoryTables(app.tables);
      return { rows: tables.query(table, query), seq: scopes.get(scope)?.seq ?? 0 };
    },
  });
}

export function isReadModel(reaction: Reaction): reaction is ReadModel {
  return typeof (reaction as Partial<ReadModel>).query === 'function' && Array.isArray((reaction as ReadModel).tables);
}
