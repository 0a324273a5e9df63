import {
  type AnyApp,
  type AppliedEvent,
  applyEvent,
  MemoryTables,
  OverlayTables,
  type Row,
  validateSchema,
  type WireEvent,
} from '../../shared/index.ts';

/** One row an event wrote: its value before and after (`null`: absent, i.e. created or deleted). */
export interface RowWrite {
  readonly table: string;
  readonly key: string;
  readonly before: Row | null;
  readonly after: Row | null;
}

/**
 * The rows the event `seq` wrote, found by replaying the scope's events up to it with the app's
 * own projections (in memory, the same code the client and server run): the state before it,
 * then its writes layered on top. `events` are the scope's events from seq 1, in order.
 */
export function rowsWrittenBy(app: AnyApp, events: ReadonlyArray<WireEvent>, seq: number): RowWrite[] {
  const base = new MemoryTables(app.tables);
  for (const event of events) {
    if (event.seq >= seq) break;
    project(app, base, event);
  }
  const target = events.find((event) => event.seq === seq);
  if (!target) return [];
  const layer = new OverlayTables(app.tables, base);
  project(app, layer, target);
  return [...layer.changes()].map(({ table, key, row }) => ({
    table,
    key,
    before: base.get(table, key) ?? null,
    after: row,
  }));
}

function project(app: AnyApp, tx: MemoryTables | OverlayTables, event: WireEvent): void {
  const schema = Object.hasOwn(app.events, event.type) ? app.events[event.type] : undefined;
  if (!schema) return; // an event this app version does not know changes nothing here
  const checked = validateSchema(schema, event.data);
  if (!checked.ok) return;
  const applied: AppliedEvent = {
    type: event.type,
    data: checked.value,
    scope: event.scope,
    at: event.at,
    commandId: event.commandId,
  };
  applyEvent(app, tx, applied);
}
