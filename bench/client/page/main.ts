/**
 * The bench page: every client measurement runs here, in the tab, and returns raw samples (ms)
 * to the Node driver (bench/client/browser.ts), which summarises them. `window.bench` holds
 * the steps; each opens what it needs under a database name of its own.
 */
import * as Comlink from 'comlink';
import { createStore, set } from 'idb-keyval';
import { Replicache, TEST_LICENSE_KEY, type WriteTransaction } from 'replicache';
import { createClient, type WeftClient } from '../../../client/index.ts';
import { kanban } from '../../../demo/app.ts';
import { dexieStorage } from '../../../testing/index.ts';
import { progress } from '../../report.ts';
import type { EngineWorkerApi } from './engine-worker.ts';
import type { FloorWorkerApi } from './floor-worker.ts';
import { cardsAt, HISTORY_COLUMNS, seedHistory } from './history.ts';

type Kanban = WeftClient<typeof kanban>;

const now = () => performance.now();
/** A wall-clock time comparable across tabs. */
const epoch = () => performance.timeOrigin + performance.now();

function openWeft(dbName: string, board = 'b1', url = location.origin): Promise<Kanban> {
  return createClient(kanban, {
    url, // the preview server proxies /v1 to the weft server
    scopes: [`board:${board}`],
    auth: 'demo:bench',
    dbName,
    worker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  });
}

/** A first screen of one column: what a reopened app paints first. */
const SCREEN = 50;

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

/** The stored head of each seeded database. */
const heads = new Map<string, number>();

/** A client on a seeded database, kept off the network: the fake history has no server. */
async function openOffline(dbName: string, board: string): Promise<Kanban> {
  await set(dbName, false, createStore('weft-preferences', 'online')); // as `setOnline(false)` keeps it
  return openWeft(dbName, board, 'http://127.0.0.1:9');
}

function engineWorker() {
  const worker = new Worker(new URL('./engine-worker.ts', import.meta.url), { type: 'module' });
  return { worker, api: Comlink.wrap<EngineWorkerApi>(worker) };
}

/** Deletes the outbox records `drop` picks from the weft database `dbName` (raw IndexedDB). */
function dropFromOutbox(dbName: string, drop: (record: { seq: number; name: string }) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(dbName);
    opening.onerror = () => reject(opening.error);
    opening.onsuccess = () => {
      const db = opening.result;
      const tx = db.transaction('outbox', 'readwrite');
      const store = tx.objectStore('outbox');
      const all = store.getAll();
      all.onsuccess = () => {
        for (const record of all.result as Array<{ seq: number; name: string }>)
          if (drop(record)) store.delete(record.seq);
      };
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

/** Runs `work`, counting the long tasks (≥ 50 ms) the main thread had meanwhile. */
async function watchLongTasks<T>(work: () => Promise<T>): Promise<{ result: T; longTasks: number; longestMs: number }> {
  const tasks: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push(entry.duration);
  });
  observer.observe({ type: 'longtask', buffered: false });
  try {
    const result = await work();
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the observer report
    return { result, longTasks: tasks.length, longestMs: Math.max(0, ...tasks) };
  } finally {
    observer.disconnect();
  }
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
  async weftLatency(dbName: string, runs: number, sequential: number, durables: number) {
    const weft = await openWeft(dbName);
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

  /** Extends the bench history stored in `dbName` to `to` events (history.ts); returns the head. */
  async seed(dbName: string, board: string, to: number) {
    const from = heads.get(dbName) ?? 0;
    const head = await seedHistory(dbName, board, from, to, (done, total) =>
      progress(`seeding ${dbName} to ${to.toLocaleString('en-US')} events:`, done, total),
    );
    heads.set(dbName, head);
    return head;
  },

  /**
   * One growth step on a seeded database, offline: `pending` renames left pending, then
   * `samples` sequential addCard executes (ms to `applied` and to `durable` each, once the
   * page's replica holds the board), then `reopens` reopens (a new worker, its storage, the
   * rebase of what is pending) timed to the first query's rows, with exactly `pending`
   * commands pending: the samples are dropped from the outbox first. The outbox is emptied at
   * the end, so the next step starts clean.
   */
  async growthStep(dbName: string, board: string, pending: number, samples: number, reopens: number) {
    const weft = await openOffline(dbName, board);
    await weft.loaded(); // createClient does not wait for the board's rows (lazy scopes)
    const cards = Math.max(1, cardsAt(heads.get(dbName) ?? 0));
    const pend = [];
    for (let i = 0; i < pending; i++) {
      pend.push(weft.execute('renameCard', { boardId: board, cardId: `c${i % cards}`, title: `pending ${i}` }));
    }
    await Promise.all(pend.map((run) => run.durable));
    const applied: number[] = [];
    const durable: number[] = [];
    const tag = crypto.randomUUID().slice(0, 8);
    for (let i = 0; i < samples; i++) {
      const started = now();
      const run = weft.execute('addCard', {
        boardId: board,
        cardId: `x${tag}-${i}`,
        columnId: `col${i % HISTORY_COLUMNS}`,
        title: `execute ${i}`,
      });
      await run.applied;
      applied.push(now() - started);
      await run.durable;
      durable.push(now() - started);
    }
    await weft.close();
    await dropFromOutbox(dbName, (record) => record.name === 'addCard');
    const reopen: number[] = [];
    for (let r = 0; r < reopens; r++) reopen.push((await bench.reopen(dbName, board)).firstQueryMs);
    const screen: number[] = [];
    for (let r = 0; r < reopens; r++) screen.push((await bench.reopen(dbName, board, SCREEN)).firstQueryMs);
    const storage = dexieStorage({ name: dbName, tables: kanban.tables });
    await storage.commit({ clearOutbox: true });
    await storage.close();
    return { applied, durable, reopen, screen };
  },

  /**
   * Reopens `dbName` offline (a new worker, its storage) and runs the first query; ms to its
   * rows. By default the whole first column, whose size grows with the history (1 card at 1k
   * events, 1,000 at 1M); with `limit`, its first screen in rank order, the same 50 rows at any
   * size.
   */
  async reopen(dbName: string, board: string, limit?: number) {
    const started = now();
    const weft = await openOffline(dbName, board);
    const openMs = now() - started;
    const rows = await weft.query(
      limit === undefined
        ? { table: 'cards', where: { columnId: 'col0' } }
        : { table: 'cards', where: { columnId: 'col0' }, orderBy: 'rank', limit },
    );
    const firstQueryMs = now() - started;
    await weft.close();
    return { openMs, firstQueryMs, rows: rows.length };
  },

  /**
   * Rebase in the engine worker (engine-worker.ts): `pending` commands stay pending while the
   * server sends `incoming` events of another client in one live message, `runs` times after
   * one warm-up delivery; ms
   * until a subscriber in the worker sees the rebased state, and until it is durable. The main
   * thread watches for long tasks all the while.
   */
  async rebase(dbName: string, board: string, pending: number, incoming: number, runs: number) {
    return watchLongTasks(async () => {
      const { api, worker } = engineWorker();
      try {
        await api.open(dbName, board, heads.get(dbName) ?? 0);
        await api.pend(pending);
        await api.follow();
        await api.deliver(incoming); // warm-up: the first delivery also compiles the apply path
        const times = [];
        for (let r = 0; r < runs; r++) times.push(await api.deliver(incoming));
        heads.set(dbName, await api.close());
        await api.clearOutbox(dbName);
        return times;
      } finally {
        worker.terminate();
      }
    });
  },

  /** Catch-up in the engine worker: `count` server events pulled page by page into a fresh history. */
  async catchUp(dbName: string, board: string, count: number) {
    await bench.seed(dbName, board, HISTORY_COLUMNS + 1); // the board and its columns
    return watchLongTasks(async () => {
      const { api, worker } = engineWorker();
      try {
        await api.open(dbName, board, heads.get(dbName) ?? 0);
        const times = await api.catchUp(count);
        heads.set(dbName, await api.close());
        return times;
      } finally {
        worker.terminate();
      }
    });
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
      // How the burst arrived: the callbacks (one per batch the page took) and when the first came.
      let callbacks = 0;
      let first = 0;
      const stop = weft.subscribe({ table: 'cards', where: { boardId: 'b1' } }, (rows) => {
        callbacks++;
        if (callbacks === 2) first = epoch();
        if (rows.length >= total) {
          queueMicrotask(() => stop());
          const done = epoch();
          console.log(
            `bench: second tab: ${callbacks - 1} live-query updates for ${total - 1} rows, the last ${(done - first).toFixed(0)} ms after the first`,
          );
          resolve(done);
        }
      });
    });
  },
  async tabBurst(count: number, columns: number, from = 1) {
    const weft = (window as unknown as { tab: Kanban }).tab;
    const started = epoch();
    const runs = addCards(weft, from, count, columns);
    const issuedMs = epoch() - started;
    await Promise.all(runs.map((run) => run.applied));
    const appliedMs = epoch() - started;
    await Promise.all(runs.map((run) => run.durable));
    console.log(`bench: leader tab: ${count} executes issued (run on its replica) in ${issuedMs.toFixed(0)} ms`);
    return { started, appliedMs, durableMs: epoch() - started };
  },
  async tabClose() {
    await (window as unknown as { tab: Kanban }).tab.close();
  },
};

export type BenchPage = typeof bench;
(window as unknown as { bench: BenchPage }).bench = bench;
