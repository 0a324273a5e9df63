import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateKeyBetween } from 'fractional-indexing';
import { LiveQueries } from '../client/query/live-queries.ts';
import { runQuery } from '../client/query/query.ts';
import { kanban } from '../demo/app.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { edgeRow, MemoryTables, OverlayTables, type PushCommand, type Row } from '../shared/index.ts';
import { type BenchRow, printTable, runsSpread, summary } from './report.ts';

const LAST_ROWS = 10_000;
const LAST_CALLS = 200_000;
const LIVE_ROWS = 100_000;
const LIVE_CHANGES = 20_000;
const LIVE_LIMIT = 50;
const FULL_COLUMN = 9_000;
const PUSH = 1_000;
/** Measured pushes: batches of 100 (a client's batch), five per column, interleaved. */
const MEASURED_BATCH = 100;
const MEASURED_PUSHES = 5;

/**
 * The query model's costs (issue 17), each beside a floor in the same run:
 * - `ctx.last` on a 10,000-row ordered index, through a command's overlay over the scope state,
 *   against `ctx.get` (a key lookup through the same layers);
 * - the update of a live `limit: 50` query over a 100,000-row table per change (patched by
 *   diff), against re-running the query per change (the write itself is timed apart);
 * - server pushes of `addCard`s into a column of 9,000 cards against the same pushes into an
 *   empty column (in-process Hono, SQLite): the handler's rank lookup no longer scans.
 */
export async function benchQueries(runs: number): Promise<string> {
  const last: number[] = [];
  const get: number[] = [];
  const live: number[] = [];
  const write: number[] = [];
  const rerun: number[] = [];
  const full: number[] = [];
  const empty: number[] = [];
  for (let r = 0; r < runs; r++) {
    console.log(`bench: queries run ${r + 1}/${runs} ...`);
    const lookups = measureLast();
    last.push(lookups.last);
    get.push(lookups.get);
    const changes = await measureLive();
    live.push(changes.live);
    write.push(changes.write);
    rerun.push(changes.rerun);
    const pushes = await measurePushes();
    full.push(pushes.full);
    empty.push(pushes.empty);
  }
  const s = {
    last: summary(last),
    get: summary(get),
    live: summary(live),
    write: summary(write),
    rerun: summary(rerun),
    full: summary(full),
    empty: summary(empty),
  };
  const rows: BenchRow[] = [
    {
      what: `ctx.last on a ${LAST_ROWS.toLocaleString('en-US')}-row ordered index (command overlay over scope state)`,
      value: s.last.median,
      unit: 'µs',
      spread: runsSpread(s.last),
      floor: { what: 'ctx.get through the same layers', value: s.get.median },
      target: { text: '≤ 5 µs', met: s.last.median <= 5 },
    },
    {
      what: `live limit-${LIVE_LIMIT} query over ${LIVE_ROWS.toLocaleString('en-US')} rows: update per change (patch by diff)`,
      value: s.live.median,
      unit: 'ms',
      spread: runsSpread(s.live, `the write itself: ${s.write.median.toFixed(3)} ms`),
      floor: { what: 're-running the query per change', value: s.rerun.median },
      target: { text: '≤ 0.1 ms', met: s.live.median <= 0.1 },
    },
    {
      what: `server push of ${MEASURED_PUSHES} × ${MEASURED_BATCH} addCard into a ${FULL_COLUMN.toLocaleString('en-US')}-card column`,
      value: s.full.median,
      unit: 'ms',
      spread: runsSpread(s.full),
      floor: { what: 'the same push into an empty column', value: s.empty.median },
      target: { text: '≤ 1.2 × floor', met: s.full.median <= 1.2 * s.empty.median },
    },
  ];
  return printTable('Queries (ordered indexes, live queries by diff)', rows);
}

const card = (i: number, rank: string): Row => ({
  cardId: `k${i}`,
  boardId: 'b',
  columnId: 'todo',
  title: `card ${i}`,
  rank,
});

/** µs per `ctx.last` and per `ctx.get`, each through a command's overlay over a pending overlay over the state. */
function measureLast(): { last: number; get: number } {
  const state = new MemoryTables(kanban.tables);
  let rank: string | null = null;
  for (let i = 0; i < LAST_ROWS; i++) {
    rank = generateKeyBetween(rank, null);
    state.put('cards', card(i, rank));
  }
  const pending = new OverlayTables(kanban.tables, state);
  pending.put('cards', card(LAST_ROWS, generateKeyBetween(rank, null)));
  const scratch = new OverlayTables(kanban.tables, pending);
  const query = { index: ['columnId', 'rank'], where: { columnId: 'todo' } } as const;
  let found = 0;
  for (let i = 0; i < 10_000; i++) if (edgeRow(scratch, kanban.tables, 'cards', query, 'last')) found++; // warm up
  let started = performance.now();
  for (let i = 0; i < LAST_CALLS; i++) if (edgeRow(scratch, kanban.tables, 'cards', query, 'last')) found++;
  const last = ((performance.now() - started) * 1000) / LAST_CALLS;
  started = performance.now();
  for (let i = 0; i < LAST_CALLS; i++) if (scratch.get('cards', `k${i % LAST_ROWS}`)) found++;
  const get = ((performance.now() - started) * 1000) / LAST_CALLS;
  if (found === 0) throw new Error('bench: ctx.last found nothing');
  return { last, get };
}

/** ms per change of a 100,000-row table spent updating a live limit-50 query: patched by diff, or re-run. */
async function measureLive(): Promise<{ live: number; write: number; rerun: number }> {
  const ranks: string[] = [];
  let rank: string | null = null;
  for (let i = 0; i < LIVE_ROWS; i++) {
    rank = generateKeyBetween(rank, null);
    ranks.push(rank);
  }
  const build = () => {
    const tables = new MemoryTables(kanban.tables);
    for (let i = 0; i < LIVE_ROWS; i++) tables.put('cards', card(i, ranks[i] as string));
    return tables;
  };
  const query = { table: 'cards', where: { columnId: 'todo' }, orderBy: 'rank', limit: LIVE_LIMIT } as const;
  // Deterministic changes: most land anywhere in the column, one in five inside the window.
  const change = (tables: MemoryTables, i: number): string => {
    const n = (i * 7919) % LIVE_ROWS;
    const at = i % 5 === 0 ? n % (LIVE_LIMIT * 2) : n;
    const before = ranks[at] as string;
    const after = ranks[at + 1] ?? null;
    const key = `k${(i * 104_729) % LIVE_ROWS}`;
    if (i % 10 === 9) tables.delete('cards', key);
    else tables.put('cards', card(Number(key.slice(1)), generateKeyBetween(before, after)));
    return key;
  };
  /** ms per change spent updating the live query (the write itself is timed apart). */
  const timed = async (mode: 'patch' | 'rerun'): Promise<{ live: number; write: number }> => {
    const tables = build();
    const live = new LiveQueries({
      tables: kanban.tables,
      run: (q) => runQuery(kanban.tables, q, ['s'], () => tables),
      readerOf: () => tables,
      scopes: () => ['s'],
    });
    let seen = 0;
    live.subscribe(query, () => seen++);
    let writing = 0;
    let updating = 0;
    for (let i = 0; i < LIVE_CHANGES; i++) {
      const t0 = performance.now();
      const key = change(tables, i);
      const t1 = performance.now();
      if (mode === 'rerun') live.invalidate('s', ['cards']);
      else live.changed('s', [{ table: 'cards', key }]);
      await null; // the live flush runs in the microtask queued before this continuation
      updating += performance.now() - t1;
      writing += t1 - t0;
    }
    if (seen < 2) throw new Error('bench: the live query never changed');
    return { live: updating / LIVE_CHANGES, write: writing / LIVE_CHANGES };
  };
  const patched = await timed('patch');
  const rerun = await timed('rerun');
  return { live: patched.live, write: patched.write, rerun: rerun.live };
}

/** ms per push of 1,000 addCard into a column of 9,000 cards, and into an empty column. */
async function measurePushes(): Promise<{ full: number; empty: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-bench-queries-'));
  const store = sqliteStore({ file: path.join(dir, 'queries.db') });
  const app = createServer({
    app: kanban,
    store,
    auth: demoAuth({ adminToken: 'bench' }),
    limits: { requestsPerSecond: 1e9, requestBurst: 1e9 },
  });
  let seq = 0;
  const heads = new Map<string, number>();
  const push = async (commands: Array<{ name: string; args: { boardId: string; [field: string]: unknown } }>) => {
    const body: { clientId: string; commands: PushCommand[] } = {
      clientId: 'bench',
      commands: commands.map(({ name, args }) => {
        seq++;
        return {
          id: `bench-${seq}`,
          seq,
          name,
          args,
          at: 1_700_000_000_000 + seq,
          baseSeq: heads.get(args.boardId) ?? 0,
        };
      }),
    };
    const started = performance.now();
    const res = await app.request('/v1/push', {
      method: 'POST',
      headers: { authorization: 'Bearer demo:bench', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const ms = performance.now() - started;
    const json = (await res.json()) as {
      results?: Array<{ status: string; events?: Array<{ scope: string; seq: number }> }>;
    };
    if (res.status !== 200 || json.results?.some((r) => r.status !== 'applied'))
      throw new Error(`bench push failed: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    for (const result of json.results ?? [])
      for (const event of result.events ?? []) heads.set(event.scope.slice('board:'.length), event.seq);
    return ms;
  };
  const cards = (boardId: string, from: number, count = PUSH) =>
    Array.from({ length: count }, (_, i) => ({
      name: 'addCard',
      args: { boardId, cardId: `${boardId}-k${from + i}`, columnId: `${boardId}-todo`, title: `card ${from + i}` },
    }));
  try {
    for (const boardId of ['full', 'empty']) {
      await push([
        { name: 'createBoard', args: { boardId, title: 'Bench' } },
        { name: 'addColumn', args: { boardId, columnId: `${boardId}-todo`, title: 'To do' } },
      ]);
    }
    for (let n = 0; n < FULL_COLUMN; n += PUSH) await push(cards('full', n));
    // Interleaved, and 500 events per board: no scope snapshot (every 1,000 events, a dump of
    // the whole scope) falls inside either measurement, so the two differ only by the column.
    let full = 0;
    let empty = 0;
    for (let i = 0; i < MEASURED_PUSHES; i++) {
      empty += await push(cards('empty', i * MEASURED_BATCH, MEASURED_BATCH));
      full += await push(cards('full', FULL_COLUMN + i * MEASURED_BATCH, MEASURED_BATCH));
    }
    return { full, empty };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
