import {
  type AnyApp,
  applyEvent,
  canonicalJson,
  isTextValue,
  OverlayTables,
  type Row,
  type ScanReader,
} from '../shared/index.ts';

/** Most overwritten fields one audit record names. */
const MAX_OVERWRITES = 20;

/** An event of another client that landed between a command's base and its apply. */
export interface ForeignEvent {
  readonly seq: number;
  readonly type: string;
  readonly data: unknown;
  readonly scope: string;
  readonly at: number;
  readonly commandId: string;
  readonly clientId: string;
}

/** A field this command overwrote after `seq` (of another client's command) had written it. */
export interface Overwrite {
  readonly seq: number;
  readonly table: string;
  readonly key: string;
  readonly field: string;
}

/**
 * Lost updates (issue 18, audit `overwrote`): the fields this command changed that an
 * intervening event of another client had written since the command's base. The writer of each
 * field is found by probing: the intervening events' projections run, in order, on a scratch
 * overlay in which every field the command changed holds a unique marker; a field whose marker a
 * handler replaced (or whose row it deleted) is one that event writes. The probe reads today's state,
 * not the state of the event's time, so a handler whose writes depend on state is judged by
 * today's rows. Text fields (see `textField`) merge instead of overwriting, so they never count;
 * neither do rows the command created, nor deletes.
 *
 * `before` is the scope's state the command ran on, `writes` its overlay; the last writer wins.
 */
export function findOverwrites(
  app: AnyApp,
  before: ScanReader,
  writes: OverlayTables,
  intervening: ReadonlyArray<ForeignEvent>,
): Overwrite[] {
  const changed = new Map<string, { table: string; key: string; row: Row; fields: Map<string, object> }>();
  for (const change of writes.changes()) {
    if (change.row === null) continue;
    const previous = before.get(change.table, change.key);
    if (!previous) continue;
    const fields = new Map<string, object>();
    for (const [field, value] of Object.entries(change.row)) {
      const old = previous[field];
      if (isTextValue(old) || isTextValue(value) || canonicalJson(old) === canonicalJson(value)) continue;
      fields.set(field, Object.freeze({ probe: field }));
    }
    if (fields.size === 0) continue;
    const probeRow: Record<string, unknown> = { ...previous };
    for (const [field, marker] of fields) probeRow[field] = marker;
    changed.set(rowKey(change.table, change.key), { table: change.table, key: change.key, row: probeRow, fields });
  }
  if (changed.size === 0) return [];
  const keyOf = (table: string): string => app.tables[table]?.key ?? 'id';

  const swap = (table: string, key: string, row: Row): Row => changed.get(rowKey(table, key))?.row ?? row;
  const probe: ScanReader = {
    get: (table, key) => changed.get(rowKey(table, key))?.row ?? before.get(table, key),
    find: (table, where) => before.find(table, where).map((row) => swap(table, String(row[keyOf(table)]), row)),
    query: (table, query) => before.query(table, query).map((row) => swap(table, String(row[keyOf(table)]), row)),
    *scan(plan) {
      for (const row of before.scan(plan)) yield swap(plan.table, String(row[plan.key]), row);
    },
  };
  const writers = new Map<string, Overwrite>();
  // One scratch overlay for all the events, in their order; after each, a marker it replaced
  // names it as the writer, and the markers are put back for the next one.
  const scratch = new OverlayTables(app.tables, probe);
  for (const event of intervening) {
    try {
      applyEvent(app, scratch, event);
    } catch {
      continue; // a handler that cannot run on the probe tells nothing
    }
    for (const target of changed.values()) {
      const row = scratch.get(target.table, target.key);
      let touched = false;
      for (const [field, marker] of target.fields) {
        if (row !== undefined && row[field] === marker) continue;
        touched = true;
        writers.set(`${rowKey(target.table, target.key)}\u0000${field}`, {
          seq: event.seq,
          table: target.table,
          key: target.key,
          field,
        });
      }
      if (touched) scratch.put(target.table, target.row);
    }
  }
  return [...writers.values()].sort((a, b) => a.seq - b.seq).slice(0, MAX_OVERWRITES);
}

const rowKey = (table: string, key: string): string => `${table}\u0000${key}`;

type Listed = { seq: number; type: string; commandId: string; clientId: string; overwrote?: FieldRef[] | undefined };
type FieldRef = { table: string; key: string; field: string };

/**
 * The audit record's `intervened` list with each overwritten field named on the event that had
 * written it; a writer beyond the listed ones is added, so no lost update goes unnamed.
 */
export function markOverwrites(
  listed: ReadonlyArray<Listed>,
  overwrites: ReadonlyArray<Overwrite>,
  intervening: ReadonlyArray<ForeignEvent>,
): Listed[] {
  if (overwrites.length === 0) return [...listed];
  const out = listed.map((entry) => ({ ...entry }));
  for (const { seq, table, key, field } of overwrites) {
    let entry = out.find((e) => e.seq === seq);
    if (!entry) {
      const event = intervening.find((e) => e.seq === seq);
      if (!event) continue;
      entry = { seq, type: event.type, commandId: event.commandId, clientId: event.clientId };
      out.push(entry);
    }
    entry.overwrote = [...(entry.overwrote ?? []), { table, key, field }];
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** How many fields an audit record's `intervened` list says were overwritten. */
export function countOverwrites(listed: ReadonlyArray<Listed>): number {
  return listed.reduce((n, entry) => n + (entry.overwrote?.length ?? 0), 0);
}
