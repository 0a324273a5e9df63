import { type AnyApp, MemoryTables, type Row, validateSchema } from '../../shared/index.ts';

export type SnapshotTables =
  | { readonly ok: true; readonly tables: MemoryTables }
  | { readonly ok: false; readonly message: string };

/**
 * Builds a scope's confirmed tables from a server snapshot's rows. Every row is checked against
 * its table's schema (the snapshot crossed the network, like an event); one bad row refuses
 * the whole snapshot, so the client pulls events instead of holding half a state. Tables this
 * app version does not declare are left out, as `loadScopeStates` does with stored rows.
 */
export function snapshotTables(app: AnyApp, rows: Readonly<Record<string, ReadonlyArray<Row>>>): SnapshotTables {
  const tables = new MemoryTables(app.tables);
  for (const [table, list] of Object.entries(rows)) {
    const def = Object.hasOwn(app.tables, table) ? app.tables[table] : undefined;
    if (!def) continue;
    for (const row of list) {
      const checked = validateSchema(def.schema, row);
      if (!checked.ok) return { ok: false, message: `a ${table} row is invalid: ${checked.message}` };
      if (typeof row[def.key] !== 'string') return { ok: false, message: `a ${table} row has no string ${def.key}` };
      tables.put(table, row);
    }
  }
  return { ok: true, tables };
}
