import {
  type AnyApp,
  applyEvent,
  type MemoryTables,
  OverlayTables,
  validateSchema,
  type WireEvent,
} from '../shared/index.ts';
import type { RowWrite } from './client-storage.ts';

export interface ConfirmedApply {
  /** The events applied: those right after the cursor, contiguous, in seq order. */
  readonly applied: WireEvent[];
  /** An event is missing after `applied`: the rest could not be applied and must be pulled. */
  readonly gap: boolean;
  /** The row changes, to store together with `applied`. */
  readonly writes: RowWrite[];
  readonly tables: ReadonlySet<string>;
  /** Events that were kept in the log but changed nothing: unknown type, invalid data, or a failing handler. */
  readonly problems: string[];
}

/**
 * Applies confirmed events to a scope's confirmed tables. Events at or below `cursor` are
 * duplicates and skipped; the first missing seq stops the batch. Every event received is
 * validated against the app's schema first: an event the app cannot apply (a newer server, a
 * broken handler) is reported, never a crash, and never skipped in the log, so the stream
 * stays gap-free and the next reload can replay it with fixed code.
 */
export function applyConfirmed(
  app: AnyApp,
  tables: MemoryTables,
  scope: string,
  cursor: number,
  events: ReadonlyArray<WireEvent>,
): ConfirmedApply {
  const batch = new OverlayTables(app.tables, tables);
  const applied: WireEvent[] = [];
  const problems: string[] = [];
  let next = cursor + 1;
  let gap = false;
  for (const event of events) {
    if (event.seq < next) continue;
    if (event.seq > next) {
      gap = true;
      break;
    }
    const problem = apply(app, batch, event);
    if (problem) problems.push(`${scope}#${event.seq} (${event.type}): ${problem}`);
    applied.push(event);
    next++;
  }
  const writes: RowWrite[] = [];
  const touched = new Set<string>();
  for (const { table, key, row } of batch.changes()) {
    writes.push({ table, scope, key, row });
    touched.add(table);
  }
  batch.commitTo(tables);
  return { applied, gap, writes, tables: touched, problems };
}

function apply(app: AnyApp, tx: OverlayTables, event: WireEvent): string | null {
  const schema = Object.hasOwn(app.events, event.type) ? app.events[event.type] : undefined;
  if (!schema) return 'unknown event type';
  const checked = validateSchema(schema, event.data);
  if (!checked.ok) return checked.message;
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
    return error instanceof Error ? error.message : String(error);
  }
}
