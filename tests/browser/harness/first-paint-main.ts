/**
 * The page the Chromium first-paint test drives (issue 16, flat first paint): a board stored in
 * this browser's IndexedDB, reopened by a lazy engine on the page's thread whose storage holds
 * back the load of the board's rows until the test lets it go. The page's client (`clientOn`,
 * with its replica) is what `createClient` builds over a worker; the engine is the tab engine's
 * (`lazy`, `engineBackend`), offline.
 */

import { deferred } from '../../../client/base/deferred.ts';
import { Engine } from '../../../client/engine/engine.ts';
import { clientOn } from '../../../client/page/create-client.ts';
import type { Port } from '../../../client/page/engine-port.ts';
import type { ClientStorage } from '../../../client/storage/client-storage.ts';
import { dexieStorage } from '../../../client/storage/dexie-storage.ts';
import { httpTransport } from '../../../client/sync/http-transport.ts';
import { switchableTransport } from '../../../client/sync/switchable-transport.ts';
import { engineBackend } from '../../../client/tabs/backend.ts';
import { kanban } from '../../../demo/app.ts';
import type { Row, WireEvent } from '../../../shared/index.ts';

export interface FirstPaintReport {
  /** Every result the live query delivered, as `cardId: title` lists. */
  readonly live: string[][];
  /** The live query's first result arrived while the board's rows were not loaded. */
  readonly firstBeforeLoad: boolean;
  /** `query` answered while they were not loaded, with these rows. */
  readonly queried: string[];
  readonly queriedBeforeLoad: boolean;
  /** `applied` of a command on the board had not resolved while they were not loaded. */
  readonly appliedBeforeLoad: boolean;
  /** Reads of the board's rows through an index (`queryRows`), and whole-scope reads (`readRows`). */
  readonly indexReads: number;
  readonly scopeReads: number;
  /** The rows `load` returned at open. */
  readonly openRows: number;
}

export interface FirstPaintPage {
  firstPaint(dbName: string, pending?: boolean): Promise<FirstPaintReport>;
}

const BOARD = 'fp';
const SCOPE = `board:${BOARD}`;
const at = 1_700_000_000_000;

/** The board's history: created, one column, three cards; its events and the rows they leave. */
function history(): { events: WireEvent[]; rows: Array<{ table: string; key: string; row: Row }> } {
  const event = (seq: number, type: string, data: Record<string, unknown>): WireEvent => ({
    seq,
    scope: SCOPE,
    commandId: `h-${seq}`,
    clientId: 'history',
    at: at + seq,
    type,
    data,
  });
  const column = { boardId: BOARD, columnId: 'todo', title: 'To do', wipLimit: null, rank: 'a0' };
  const cards = ['one', 'two', 'three'].map((title, i) => ({
    boardId: BOARD,
    cardId: `c${i}`,
    columnId: 'todo',
    title,
    rank: `a${i}`,
  }));
  return {
    events: [
      event(1, 'boardCreated', { boardId: BOARD, title: 'First paint' }),
      event(2, 'columnAdded', column),
      ...cards.map((card, i) => event(3 + i, 'cardAdded', card)),
    ],
    rows: [
      { table: 'boards', key: BOARD, row: { boardId: BOARD, title: 'First paint', createdAt: at + 1 } },
      { table: 'columns', key: 'todo', row: column },
      ...cards.map((card) => ({ table: 'cards', key: card.cardId, row: card })),
    ],
  };
}

const titles = (rows: ReadonlyArray<Row>) => rows.map((row) => `${row.cardId}: ${row.title}`);
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

const page: FirstPaintPage = {
  async firstPaint(dbName, pending = false) {
    const seed = dexieStorage({ name: dbName, tables: kanban.tables });
    const { events, rows } = history();
    await seed.commit({
      events,
      rows: rows.map((row) => ({ ...row, scope: SCOPE })),
      cursors: { [SCOPE]: events.length },
    });
    await seed.close();
    if (pending) {
      // An earlier session left two commands pending on the board (offline).
      const offline = switchableTransport(httpTransport({ url: location.origin }));
      offline.setEnabled(false);
      const storage = dexieStorage({ name: dbName, tables: kanban.tables });
      const earlier = await Engine.open({ app: kanban, storage, transport: offline, scopes: [SCOPE], sync: false });
      await earlier.execute('renameCard', { boardId: BOARD, cardId: 'c1', title: 'TWO' }).durable;
      await earlier.execute('addCard', { boardId: BOARD, cardId: 'b0', columnId: 'todo', title: 'zero' }).durable;
      await earlier.close();
    }

    // Reopen: the storage counts its reads and holds back whole-scope reads (the lazy load).
    const storage = dexieStorage({ name: dbName, tables: kanban.tables });
    const release = deferred();
    let loaded = false;
    let indexReads = 0;
    let scopeReads = 0;
    let openRows = 0;
    const gated: ClientStorage = {
      ...storage,
      load: async (request) => {
        const stored = await storage.load(request);
        openRows += stored.rows.length;
        return stored;
      },
      readRows: async (table, scope, where) => {
        scopeReads++;
        await release.promise;
        const read = await storage.readRows(table, scope, where);
        loaded = true;
        return read;
      },
      queryRows: (table, scope, query) => {
        indexReads++;
        return storage.queryRows(table, scope, query);
      },
      getRows: (table, scope, keys) => {
        indexReads++;
        return storage.getRows(table, scope, keys);
      },
      readEvents: (scope) => storage.readEvents(scope),
      commit: (change) => storage.commit(change),
      persist: () => storage.persist(),
      close: () => storage.close(),
    };
    const transport = switchableTransport(httpTransport({ url: location.origin }));
    transport.setEnabled(false);
    const engine = await Engine.open({
      app: kanban,
      storage: gated,
      transport,
      scopes: [SCOPE],
      lazy: true,
      sync: false,
    });
    const backend = engineBackend(engine, transport, async () => undefined);
    const port: Port = {
      initial: { ...engine.status(), leader: true },
      scopes: [SCOPE],
      engine: {
        ...backend,
        onStatus: (callback) => backend.onStatus((status) => callback({ ...status, leader: true })),
      },
      close: () => engine.close(),
    };
    const weft = clientOn(kanban, port);

    const live: string[][] = [];
    const first = deferred();
    let firstBeforeLoad = false;
    weft.subscribe({ table: 'cards', where: { columnId: 'todo' }, orderBy: 'rank' }, (rows) => {
      if (live.length === 0) {
        firstBeforeLoad = !loaded;
        first.resolve();
      }
      live.push(titles(rows));
    });
    await first.promise;
    const queried = titles(await weft.query({ table: 'cards', where: { columnId: 'todo' }, orderBy: 'rank' }));
    const queriedBeforeLoad = !loaded;
    let applied = false;
    const run = weft.execute('addCard', { boardId: BOARD, cardId: 'c3', columnId: 'todo', title: 'four' });
    void run.applied.then(() => {
      applied = true;
    });
    await tick();
    const appliedBeforeLoad = applied;
    release.resolve();
    await run.applied;
    await tick();
    // The replica holds the board now: a command runs on the page, in this task.
    await weft.execute('renameCard', { boardId: BOARD, cardId: 'c0', title: 'ONE' }).applied;
    await tick();
    await weft.close();
    return { live, firstBeforeLoad, queried, queriedBeforeLoad, appliedBeforeLoad, indexReads, scopeReads, openRows };
  },
};
Object.assign(window, page);
document.body.dataset.ready = 'yes';
