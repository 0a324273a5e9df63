/**
 * The bench page: every client measurement runs here, in the tab, and returns raw samples (ms)
 * to the Node driver (bench/client/browser.ts), which summarises them. `window.bench` holds
 * the steps; each opens what it needs under a database name of its own.
 */
import * as Comlink from 'comlink';
import { Replicache, TEST_LICENSE_KEY, type WriteTransaction } from 'replicache';
import { createClient, type WeftClient } from '../../../client/index.ts';
import { kanban } from '../../../demo/app.ts';
import type { FloorWorkerApi } from './floor-worker.ts';

type Kanban = WeftClient<typeof kanban>;

const now = () => performance.now();
/** A wall-clock time comparable across tabs. */
const epoch = () => performance.timeOrigin + performance.now();

function openWeft(dbName: string, board = 'b1'): Promise<Kanban> {
  return createClient(kanban, {
    url: location.origin, // the preview server proxies /v1 to the weft server
    scopes: [`board:${board}`],
    auth: 'demo:bench',
    dbName,
    worker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  });
}

/** A board (`b1`) with `columns` columns `col0…` and one card `c0` in `col0`. */
async function seedBoard(weft: Kanban, columns: number, boardId = 'b1'): Promise<void> {
  await weft.execute('createBoard', { boardId, title: 'Bench' }).applied;
  for (let c = 0; c < columns; c++) weft.execute('addColumn', { boardId, columnId: `col${c}`, title: `C${c}` });
  await weft.execute('addCard', { boardId, cardId: 'c0', columnId: 'col0', title: 't' }).durable;
}

/** `count` addCard commands, round robin over `columns` columns (so each `find` stays small). */
function addCards(weft: Kanban, from: number, count: number, columns: number, boardId = 'b1') {
  const runs = [];
  for (let i = from; i < from + count; i++) {
    runs.push(weft.execute('addCard', { boardId, cardId: `k${i}`, columnId: `col${i % columns}`, title: `card ${i}` }));
  }
  return runs;
}

/** Resolves once `weft` has nothing pending (every command confirmed by the server). */
function settled(weft: Kanban): Promise<void> {
  return new Promise((resolve) => {
    const stop = weft.onStatus((status) => {
      if (status.pending === 0) {
        queueMicrotask(() => stop());
        resolve();
      }
    });
  });
}

const bench = {
  async floors(roundTrips: number, transactions: number, bulk: number, bulkRuns: number) {
    const echo = new Worker(new URL('./echo-worker.ts', import.meta.url), { type: 'module' });
    const raw: number[] = [];
    const payload = { id: 1, type: 'GET', path: ['x'] };
    for (let i = 0; i < roundTrips + 100; i++) {
      const started = now();
      await new Promise<void>((resolve) => {
        echo.onmessage = () => resolve();
        echo.postMessage(payload);
      });
      if (i >= 100) raw.push(now() - started);
    }
    echo.terminate();
    const worker = new Worker(new URL('./floor-worker.ts', import.meta.url), { type: 'module' });
    const floor = Comlink.wrap<FloorWorkerApi>(worker);
    const comlink: number[] = [];
    for (let i = 0; i < roundTrips + 100; i++) {
      const started = now();
      await floor.echo(i);
      if (i >= 100) comlink.push(now() - started);
    }
    await floor.idbOneTransaction(20); // warm up: open the database
    const idbOne = await floor.idbOneTransaction(transactions);
    const idbBulk = await floor.idbBulk(bulk, bulkRuns);
    const dexieBulk = await floor.dexieBulkAdd(bulk, bulkRuns);
    worker.terminate();
    return { raw, comlink, idbOne, idbBulk, dexieBulk, isolated: crossOriginIsolated };
  },

  /** weft, offline: execute → subscribe callback, sequential `applied`, `durable` alone. */
  async weftLatency(runs: number, sequential: number, durables: number) {
    const weft = await openWeft('bench-latency');
    await weft.setOnline(false);
    await seedBoard(weft, 1);
    let wanted = '';
    let arrived: () => void = () => undefined;
    const stop = weft.subscribe({ table: 'cards', where: { columnId: 'col0' } }, (rows) => {
      if (rows[0]?.title === wanted) arrived();
    });
    const live: number[] = [];
    for (let i = 0; i < runs + 50; i++) {
      wanted = `live ${i}`;
      const seen = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const started = now();
      weft.execute('renameCard', { boardId: 'b1', cardId: 'c0', title: wanted });
      await seen;
      if (i >= 50) live.push(now() - started);
    }
    stop();
    await weft.execute('renameCard', { boardId: 'b1', cardId: 'c0', title: 'warm' }).durable;
    let started = now();
    for (let i = 0; i < sequential; i++) {
      await weft.execute('renameCard', { boardId: 'b1', cardId: 'c0', title: `seq ${i}` }).applied;
    }
    const sequentialMs = now() - started;
    await weft.execute('renameCard', { boardId: 'b1', cardId: 'c0', title: 'settle' }).durable;
    const durable: number[] = [];
    for (let i = 0; i < durables; i++) {
      started = now();
      await weft.execute('renameCard', { boardId: 'b1', cardId: 'c0', title: `durable ${i}` }).durable;
      durable.push(now() - started);
      await new Promise((resolve) => setTimeout(resolve, 2)); // alone: nothing else in its commit
    }
    await weft.close();
    return { live, sequentialMs, durable };
  },

  /** weft, offline: `count` executes without awaiting each, then all durable. */
  async weftBurst(dbName: string, count: number, columns: number) {
    const weft = await openWeft(dbName);
    await weft.setOnline(false);
    await seedBoard(weft, columns);
    const started = now();
    const runs = addCards(weft, 1, count, columns);
    const issuedMs = now() - started;
    await Promise.all(runs.map((run) => run.applied));
    const appliedMs = now() - started;
    await Promise.all(runs.map((run) => run.durable));
    const durableMs = now() - started;
    await weft.close();
    return { issuedMs, appliedMs, durableMs };
  },

  /** Replicache 15, same page, in memory, no push or pull: mutate → subscribe, sequential mutate. */
  async replicache(runs: number, sequential: number) {
    const mutators = {
      async renameCard(tx: WriteTransaction, args: { cardId: string; title: string }) {
        await tx.set(`card/${args.cardId}`, { cardId: args.cardId, columnId: 'col0', title: args.title });
      },
    };
    const rep = new Replicache({ name: 'bench-replicache', licenseKey: TEST_LICENSE_KEY, kvStore: 'mem', mutators });
    await rep.mutate.renameCard({ cardId: 'c0', title: 't' });
    let wanted = '';
    let arrived: () => void = () => undefined;
    const stop = rep.subscribe((tx) => tx.get<{ title: string }>('card/c0'), {
      onData: (card) => {
        if (card?.title === wanted) arrived();
      },
    });
    const live: number[] = [];
    for (let i = 0; i < runs + 50; i++) {
      wanted = `live ${i}`;
      const seen = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const started = now();
      void rep.mutate.renameCard({ cardId: 'c0', title: wanted });
      await seen;
      if (i >= 50) live.push(now() - started);
    }
    stop();
    const started = now();
    for (let i = 0; i < sequential; i++) await rep.mutate.renameCard({ cardId: 'c0', title: `seq ${i}` });
    const sequentialMs = now() - started;
    await rep.close();
    return { live, sequentialMs };
  },

  /** Stores `count` server-confirmed events (addCard over `columns` columns of `board`) in `dbName`. */
  async reopenPrepare(dbName: string, board: string, count: number, columns: number) {
    const weft = await openWeft(dbName, board);
    await weft.setOnline(true);
    await seedBoard(weft, columns, board);
    const chunk = 1000;
    for (let from = 1; from <= count; from += chunk) {
      const runs = addCards(weft, from, Math.min(chunk, count - from + 1), columns, board);
      await Promise.all(runs.map((run) => run.durable));
    }
    await settled(weft);
    const cards = (await weft.query({ table: 'cards', where: { boardId: board } })).length;
    await weft.close();
    return { cards };
  },

  /** Reopens `dbName` (a new worker, its storage) and runs the first query; ms to its rows. */
  async reopen(dbName: string, board: string) {
    const started = now();
    const weft = await openWeft(dbName, board);
    const openMs = now() - started;
    const rows = await weft.query({ table: 'cards', where: { columnId: 'col0' } });
    const firstQueryMs = now() - started;
    await weft.close();
    return { openMs, firstQueryMs, rows: rows.length };
  },

  /** Second-tab steps: open (leader first), watch for `total` cards, burst `count` cards. */
  async tabOpen(dbName: string, columns: number) {
    const weft = await openWeft(dbName);
    await weft.setOnline(false);
    (window as unknown as { tab: Kanban }).tab = weft;
    if (weft.status().leader) await seedBoard(weft, columns);
    return weft.status().leader;
  },
  tabWatch(total: number): Promise<number> {
    const weft = (window as unknown as { tab: Kanban }).tab;
    return new Promise((resolve) => {
      const stop = weft.subscribe({ table: 'cards', where: { boardId: 'b1' } }, (rows) => {
        if (rows.length >= total) {
          queueMicrotask(() => stop());
          resolve(epoch());
        }
      });
    });
  },
  async tabBurst(count: number, columns: number) {
    const weft = (window as unknown as { tab: Kanban }).tab;
    const started = epoch();
    const runs = addCards(weft, 1, count, columns);
    await Promise.all(runs.map((run) => run.applied));
    const appliedMs = epoch() - started;
    await Promise.all(runs.map((run) => run.durable));
    return { started, appliedMs, durableMs: epoch() - started };
  },
  async tabClose() {
    await (window as unknown as { tab: Kanban }).tab.close();
  },
};

export type BenchPage = typeof bench;
(window as unknown as { bench: BenchPage }).bench = bench;
