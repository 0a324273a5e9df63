import {
  type AnyApp,
  applyEvent,
  type MemoryTables,
  OverlayTables,
  validateSchema,
  type WireEvent,
} from '../../shared/index.ts';
import type { RowWrite, ScopeMark } from '../storage/index.ts';

export interface ConfirmedApply {
  /** The events applied: those right after the cursor, contiguous, in seq order. */
  readonly applied: WireEvent[];
  /** An event is missing after `applied`: the rest could not be applied and must be pulled. */
  readonly gap: boolean;
  /** The row changes, to store together with `applied`. */
  readonly writes: RowWrite[];
  readonly tables: ReadonlySet<string>;
  /** The scope's mark after this batch: the one it had, or the first problem this batch met. */
  readonly mark: ScopeMark | null;
  /** Some of `applied` were stored without being projected (see `ScopeMark`). */
  readonly skipped: boolean;
}

/**
 * Applies confirmed events to a scope's confirmed tables. Events at or below `cursor` are
 * duplicates and skipped; the first missing seq stops the batch. Every event received is kept
 * in the log, so the stream stays gap-free and code that knows better can replay it:
 * - an event this app cannot read (unknown type, data its schema refuses: a newer server)
 *   changes nothing and marks the scope `stale`; later events still apply;
 * - an event whose projection handler throws leaves no partial write and `quarantine`s the
 *   scope: its rows stay as before that event, and no later event of the scope is projected
 *   (building on a state known to be wrong would hide the fault), until a replay.
 * Never a crash, never a silent skip: the mark says which event, and why.
 */
export function applyConfirmed(
  app: AnyApp,
  tables: MemoryTables,
  scope: string,
  cursor: number,
  events: ReadonlyArray<WireEvent>,
  mark: ScopeMark | null = null,
): ConfirmedApply {
  let batch = new OverlayTables(app.tables, tables);
  const applied: WireEvent[] = [];
  /** The events projected into `batch`, to redo them if a later handler throws midway. */
  const projected: WireEvent[] = [];
  let skipped = false;
  let next = cursor + 1;
  let gap = false;
  for (const event of events) {
    if (event.seq < next) continue;
    if (event.seq > next) {
      gap = true;
      break;
    }
    applied.push(event);
    next++;
    if (mark?.kind === 'quarantined') {
      skipped = true;
      continue;
    }
    const problem = project(app, batch, event);
    if (problem === null) {
      projected.push(event);
      continue;
    }
    skipped = true;
    const found: ScopeMark = { ...problem, scope, seq: event.seq, type: event.type };
    if (problem.kind === 'quarantined') {
      // The handler may have written part of its effect before it threw: start the batch again.
      batch = new OverlayTables(app.tables, tables);
      for (const good of projected) project(app, batch, good);
      mark = found;
    } else {
      mark ??= found;
    }
  }
  const writes: RowWrite[] = [];
  const touched = new Set<string>();
  for (const { table, key, row } of batch.changes()) {
    writes.push({ table, scope, key, row });
    touched.add(table);
  }
  batch.commitTo(tables);
  return { applied, gap, writes, tables: touched, mark, skipped };
}

/** Projects one event; returns what kept it from applying, or null. */
function project(
  app: AnyApp,
  tx: OverlayTables,
  event: WireEvent,
): { kind: ScopeMark['kind']; message: string } | null {
  const schema = Object.hasOwn(app.events, event.type) ? app.events[event.type] : undefined;
  if (!schema) return { kind: 'stale', message: `unknown event type ${event.type} (app version ${app.version})` };
  const checked = validateSchema(schema, event.data);
  if (!checked.ok) return { kind: 'stale', message: `invalid ${event.type}: ${checked.message}` };
  try {
    applyEvent(app, tx, {
      type: event.type,
      data: checked.value,
      scope: event.scope,
      at: event.at,
      commandId: event.commandId,
    });
    return null;
  } catch (error) {
    return { kind: 'quarantined', message: error instanceof Error ? error.message : String(error) };
  }
}
