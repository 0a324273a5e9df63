import type { AnyApp, CommandRecord, Row } from '../../shared/index.ts';
import type { Query } from '../query/index.ts';
import type { ClientStorage } from '../storage/index.ts';
import { rebuildOverlay } from './rebase.ts';
import { StorageBase } from './storage-base.ts';

/** Runs of the pending commands before giving up (then the caller loads the scope). */
const MAX_ROUNDS = 64;

/**
 * A query of one not-loaded scope that has pending commands, answered without loading it
 * (issue 16, flat first paint): the scope's pending commands are re-run, in seq order, over a
 * `StorageBase` (the stored rows, read on demand), and the query over their overlay, again
 * after each round of misses until a round reads only what was fetched.
 *
 * Why it equals the loaded answer: a rebase at load re-runs the same commands over the stored
 * rows; commands are deterministic (ctx.now and ctx.id come from the record), and the last
 * run read exactly what the stored rows hold (storage-base.ts), so it made the same writes;
 * the query reads the same overlay over the same rows. Costs what the commands and the query
 * read, not the scope's size. Null when the runs keep missing (the caller loads the scope).
 */
export async function readOverPending(
  app: AnyApp,
  storage: ClientStorage,
  query: Query & { readonly scope: string },
  commands: ReadonlyArray<CommandRecord>,
): Promise<Row[] | null> {
  const { table, scope, ...tableQuery } = query;
  const base = new StorageBase(app.tables);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { overlay } = rebuildOverlay(app, base, commands);
    // The query runs in the same round, so its rows are fetched with the commands' (one wait).
    // An overlay that shadows rows of the table reads its base past the query's limit: the
    // rows it shadows at most, plus the limit, are enough at first.
    let shadowed = 0;
    for (const change of overlay.changes()) if (change.table === table) shadowed++;
    base.hint = tableQuery.limit === undefined ? undefined : Math.max(1, tableQuery.limit + shadowed);
    const rows = overlay.query(table, tableQuery);
    base.hint = undefined; // the commands' open scans (a `find`) read every row: one fetch
    if (!base.missed) return rows;
    await base.fetch(storage, scope);
  }
  return null;
}
