import {
  type AnyApp,
  type CommandRecord,
  digestEvents,
  type EmittedEvent,
  executeCommand,
  OverlayTables,
  type ScanReader,
} from '../../shared/index.ts';

/**
 * Rebase: the client's optimistic state of a scope is its confirmed tables with the scope's
 * pending commands re-run on top, in seq order, layered in one `OverlayTables`.
 *
 * Invariants:
 * - Only `runCommand` writes an overlay, and only the writes of a command that succeeded.
 * - A rebase keeps every pending command. One that now fails locally stays pending (the
 *   server decides its fate) with no effect in the overlay; its run says why.
 * - Pure over its inputs: the base is only read; the same base and commands give the same
 *   overlay, because commands are deterministic (ctx.now and ctx.id come from the record).
 * - Cost grows with the pending commands of the scope, never with the size of the base.
 * - `confirmedPrefix` allows keeping an overlay without a rebuild only when a rebuild would
 *   read the same: the incoming events are exactly what the scope's oldest pending commands
 *   emitted in their latest runs, in order. Then base + those events = base + those runs, so
 *   the overlay (base + all runs) still reads as base' + the remaining runs.
 */

export type Run =
  | {
      readonly ok: true;
      readonly scope: string;
      readonly events: ReadonlyArray<EmittedEvent>;
      /** `digestEvents(events)`: what `confirmedPrefix` compares. */
      readonly digest: string;
      /** The tables this run wrote. */
      readonly tables: ReadonlySet<string>;
      /** The rows this run wrote (put or deleted), for live queries to patch. */
      readonly rows: ReadonlyArray<{ readonly table: string; readonly key: string }>;
    }
  | { readonly ok: false; readonly scope: string | null; readonly code: string; readonly message: string };

/** The digest of a run that emitted nothing: such a command has no effect to undo. */
export const NO_EVENTS = digestEvents([]);

/** Code of a command whose scope this client does not hold. */
export const SCOPE_NOT_SYNCED = 'scope_not_synced';

/**
 * Runs one command on the optimistic state of its scope and, when it succeeds, layers its
 * writes onto that state. `overlayOf` returns undefined for a scope the client does not hold.
 */
export function runCommand(
  app: AnyApp,
  record: CommandRecord,
  overlayOf: (scope: string) => OverlayTables | undefined,
): Run {
  let target: OverlayTables | undefined;
  const result = executeCommand(app, record, (scope) => {
    target = overlayOf(scope);
    return target ?? EMPTY;
  });
  if (!result.ok) return result;
  if (!target) {
    return {
      ok: false,
      scope: result.scope,
      code: SCOPE_NOT_SYNCED,
      message: `this client does not sync ${result.scope}`,
    };
  }
  const tables = new Set<string>();
  const rows: Array<{ table: string; key: string }> = [];
  for (const { table, key } of result.writes.changes()) {
    tables.add(table);
    rows.push({ table, key });
  }
  result.writes.commitTo(target);
  return { ok: true, scope: result.scope, events: result.events, digest: digestEvents(result.events), tables, rows };
}

/** Re-runs `commands` (one scope's, in seq order) over `base`; returns the overlay and each run. */
export function rebuildOverlay(
  app: AnyApp,
  base: ScanReader,
  commands: ReadonlyArray<CommandRecord>,
): { overlay: OverlayTables; runs: Run[] } {
  const overlay = new OverlayTables(app.tables, base);
  const runs = commands.map((record) => runCommand(app, record, () => overlay));
  return { overlay, runs };
}

/**
 * How many of the oldest `pending` commands the confirmed `events` are exactly the latest runs
 * of (each command's events contiguous, in seq order), or null when the events are anything
 * else: another client's, or different from what the command emitted here.
 */
export function confirmedPrefix(
  pending: ReadonlyArray<{ readonly id: string; readonly runDigest: string | null }>,
  events: ReadonlyArray<{ readonly commandId: string; readonly type: string; readonly data: unknown }>,
): number | null {
  let matched = 0;
  let at = 0;
  while (at < events.length) {
    const id = events[at]?.commandId;
    let end = at;
    while (end < events.length && events[end]?.commandId === id) end++;
    const command = pending[matched];
    if (!command || command.id !== id || command.runDigest !== digestEvents(events.slice(at, end))) return null;
    matched++;
    at = end;
  }
  return matched;
}

/** Tables an overlay has changes in, for telling live queries what to re-run. */
export function overlayTables(overlay: OverlayTables): Set<string> {
  const tables = new Set<string>();
  for (const change of overlay.changes()) tables.add(change.table);
  return tables;
}

/** The rows an overlay has changes in, for telling live queries what to patch. */
export function overlayRows(overlay: OverlayTables): Array<{ table: string; key: string }> {
  const rows: Array<{ table: string; key: string }> = [];
  for (const { table, key } of overlay.changes()) rows.push({ table, key });
  return rows;
}

const EMPTY: ScanReader = { get: () => undefined, find: () => [], query: () => [], scan: () => [] };
