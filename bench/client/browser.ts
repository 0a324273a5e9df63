import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../tests/support/chromium.ts';
import { startServer } from '../../tests/support/server-process.ts';
import { type BenchRow, printTable } from '../report.ts';
import { servePage, workerBundleSize } from './build.ts';
import type { BenchPage } from './page/main.ts';

const ARGS = [...CHROMIUM_ARGS];

const ROUND_TRIPS = 2000;
const TRANSACTIONS = 300;
const BULK = 10_000;
const BULK_RUNS = 3;
const LIVE_RUNS = 1000;
const SEQUENTIAL = 2000;
const DURABLES = 300;
const BURST_RUNS = 3;
const BURST_COLUMNS = 100;
const REOPEN_SIZES = [1000, 10_000] as const;
const REOPENS = 5;
const TAB_BURST = 1000;

/**
 * The client rows of `npm run bench`, in headless Chromium: the floors (postMessage, Comlink,
 * raw IndexedDB, Dexie), weft's client paths and Replicache 15 in the same page and run, and
 * the worker bundle's gzipped size. The page is built with `vite build`; a kanban server on
 * SQLite confirms the events of the reopen rows, the other rows run offline.
 */
export async function benchClient(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-bench-client-'));
  const server = await startServer(path.join(dir, 'weft.db'), {
    limits: { requestsPerSecond: 1e9, requestBurst: 1e9 },
  });
  const site = await servePage(path.join(dir, 'page'), server.url);
  const context = await chromium.launchPersistentContext(mkdtempSync(path.join(dir, 'chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
  try {
    const open = async (): Promise<Page> => {
      const tab = await context.newPage();
      tab.on('pageerror', (error) => console.error('bench page error:', error));
      await tab.goto(site.url);
      await tab.waitForFunction(() => 'bench' in window, undefined, { timeout: 30_000 });
      return tab;
    };
    const tab = await open();
    const run = <K extends keyof BenchPage>(page: Page, step: K, ...args: Parameters<BenchPage[K]>) =>
      page.evaluate(
        ([name, rest]) => {
          const bench = (window as unknown as { bench: Record<string, (...a: unknown[]) => unknown> }).bench;
          return bench[name as string]?.(...(rest as unknown[]));
        },
        [step, args] as const,
      ) as Promise<Awaited<ReturnType<BenchPage[K]>>>;

    console.log('bench: client floors (postMessage, Comlink, IndexedDB, Dexie) ...');
    const floors = await run(tab, 'floors', ROUND_TRIPS, TRANSACTIONS, BULK, BULK_RUNS);
    if (!floors.isolated) console.log('bench: warning: the page is not cross-origin isolated (timers at 100 µs)');
    console.log('bench: client Replicache 15 (mutate → subscribe, sequential mutate) ...');
    const replicache = await run(tab, 'replicache', LIVE_RUNS, SEQUENTIAL);
    console.log('bench: client weft (execute → subscribe, sequential applied, durable alone) ...');
    const weft = await run(tab, 'weftLatency', LIVE_RUNS, SEQUENTIAL, DURABLES);
    const bursts: number[] = [];
    for (let r = 0; r < BURST_RUNS; r++) {
      const burst = await run(tab, 'weftBurst', `bench-burst-${r}`, BULK, BURST_COLUMNS);
      bursts.push((BULK / burst.durableMs) * 1000);
      console.log(
        `bench: client weft burst ${r + 1}/${BURST_RUNS}: ${BULK} executes issued in ${burst.issuedMs.toFixed(0)} ms, applied ${burst.appliedMs.toFixed(0)} ms, durable ${burst.durableMs.toFixed(0)} ms`,
      );
    }
    const reopens = new Map<number, number[]>();
    for (const size of REOPEN_SIZES) {
      console.log(`bench: client reopen: storing ${size} confirmed events ...`);
      const db = `bench-reopen-${size}`;
      const board = `reopen${size}`;
      const stored = await run(tab, 'reopenPrepare', db, board, size, Math.max(10, size / 100));
      const times: number[] = [];
      for (let r = 0; r < REOPENS; r++) {
        const reopened = await run(tab, 'reopen', db, board);
        times.push(reopened.firstQueryMs);
      }
      reopens.set(size, times);
      console.log(
        `bench: client reopen ${size} (${stored.cards} cards): first query ${times.map((t) => t.toFixed(0)).join(', ')} ms`,
      );
    }
    console.log(`bench: client second tab catches up ${TAB_BURST} events ...`);
    const leader = await open();
    const follower = await open();
    if (!(await run(leader, 'tabOpen', 'bench-tabs', 10))) throw new Error('bench: the first tab did not lead');
    if (await run(follower, 'tabOpen', 'bench-tabs', 10)) throw new Error('bench: the second tab also leads');
    const seen = run(follower, 'tabWatch', TAB_BURST + 1);
    const burst = await run(leader, 'tabBurst', TAB_BURST, 10);
    const caughtUpMs = (await seen) - burst.started;
    console.log(
      `bench: client second tab: leader applied the burst in ${burst.appliedMs.toFixed(0)} ms, follower held it at ${caughtUpMs.toFixed(0)} ms`,
    );
    await run(follower, 'tabClose');
    await run(leader, 'tabClose');
    console.log('bench: client worker bundle (vite build, library mode) ...');
    const bundle = await workerBundleSize(path.join(dir, 'worker-bundle'));

    return printTable(
      'Client (headless Chromium, offline engine in a module worker)',
      rows({ floors, replicache, weft, bursts, reopens, caughtUpMs, leaderAppliedMs: burst.appliedMs, bundle }),
    );
  } finally {
    await context.close().catch(() => undefined);
    await site.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Measured {
  readonly floors: Awaited<ReturnType<BenchPage['floors']>>;
  readonly replicache: Awaited<ReturnType<BenchPage['replicache']>>;
  readonly weft: Awaited<ReturnType<BenchPage['weftLatency']>>;
  readonly bursts: number[];
  readonly reopens: Map<number, number[]>;
  readonly caughtUpMs: number;
  readonly leaderAppliedMs: number;
  readonly bundle: { raw: number; gzip: number };
}

function rows(m: Measured): BenchRow[] {
  const raw = stats(m.floors.raw);
  const comlink = stats(m.floors.comlink);
  const idbOne = stats(m.floors.idbOne);
  const perSecond = (ms: number[]) => ms.map((t) => (BULK / t) * 1000);
  const idbBulk = stats(perSecond(m.floors.idbBulk));
  const dexieBulk = stats(perSecond(m.floors.dexieBulk));
  const repLive = stats(m.replicache.live);
  const repRate = (SEQUENTIAL / m.replicache.sequentialMs) * 1000;
  const live = stats(m.weft.live);
  const rate = (SEQUENTIAL / m.weft.sequentialMs) * 1000;
  const durable = stats(m.weft.durable);
  const burst = stats(m.bursts);
  const [small, large] = REOPEN_SIZES.map((size) => stats(m.reopens.get(size) ?? []));
  const tabRate = (TAB_BURST / m.caughtUpMs) * 1000;
  const kb = m.bundle.gzip / 1000;
  const p = (s: Stats) => `p50 ${fmt(s.p50)}, p99 ${fmt(s.p99)}, max ${fmt(s.max)} (n=${s.n})`;
  const range = (s: Stats) => `median of ${s.n}; min ${fmt(s.min)} – max ${fmt(s.max)}`;
  const target = (text: string, met: boolean) => ({ text, met });
  return [
    { what: 'floor: raw postMessage round trip to a worker, p50', value: raw.p50, unit: 'ms', spread: p(raw) },
    { what: 'floor: Comlink round trip to a worker, p50', value: comlink.p50, unit: 'ms', spread: p(comlink) },
    {
      what: 'floor: one raw IndexedDB readwrite transaction (1 put, strict) in a worker, p50',
      value: idbOne.p50,
      unit: 'ms',
      spread: p(idbOne),
    },
    {
      what: `floor: raw IndexedDB, ${BULK.toLocaleString('en-US')} records in one transaction`,
      value: idbBulk.p50,
      unit: 'records/s',
      spread: range(idbBulk),
    },
    {
      what: `floor: Dexie bulkAdd ${BULK.toLocaleString('en-US')}`,
      value: dexieBulk.p50,
      unit: 'records/s',
      spread: range(dexieBulk),
    },
    {
      what: 'peer: Replicache 15 mutate → subscribe (same page, in memory), p50',
      value: repLive.p50,
      unit: 'ms',
      spread: p(repLive),
    },
    { what: 'peer: Replicache 15 mutate → subscribe, p99', value: repLive.p99, unit: 'ms' },
    { what: 'peer: Replicache 15 sequential `await mutate`', value: repRate, unit: 'mutations/s' },
    {
      what: 'weft execute → live query callback in the tab (Comlink hop included), p50',
      value: live.p50,
      unit: 'ms',
      spread: p(live),
      floor: { what: 'Comlink round trip p50', value: comlink.p50 },
      target: target('p50 ≤ 0.3 ms', live.p50 <= 0.3),
    },
    {
      what: 'weft execute → live query callback in the tab, p99',
      value: live.p99,
      unit: 'ms',
      floor: { what: 'Replicache mutate → subscribe p99', value: repLive.p99 },
      target: target("p99 ≤ Replicache's p99", live.p99 <= repLive.p99),
    },
    {
      what: 'weft sequential `await execute(…).applied`',
      value: rate,
      unit: 'commands/s',
      floor: { what: 'Replicache sequential mutate', value: repRate },
      target: target('≥ 1 × Replicache', rate >= repRate),
    },
    {
      what: 'weft execute → durable, alone, p50',
      value: durable.p50,
      unit: 'ms',
      spread: p(durable),
      floor: { what: 'raw IndexedDB transaction p50', value: idbOne.p50 },
      target: target('≤ 1.3 × one raw IndexedDB transaction', durable.p50 <= 1.3 * idbOne.p50),
    },
    {
      what: 'weft execute → durable, alone, p99',
      value: durable.p99,
      unit: 'ms',
      floor: { what: 'raw IndexedDB transaction p99', value: idbOne.p99 },
      target: target('p99 ≤ 16 ms', durable.p99 <= 16),
    },
    {
      what: `weft ${BULK.toLocaleString('en-US')} executes without awaiting each, all durable (addCard over ${BURST_COLUMNS} columns)`,
      value: burst.p50,
      unit: 'records/s',
      spread: range(burst),
      floor: { what: 'raw IndexedDB one transaction', value: idbBulk.p50 },
      target: target('≥ 1 × floor (stretch 2 ×)', burst.p50 >= idbBulk.p50),
    },
    ...(small && large
      ? [
          {
            what: `weft reopen → first query, ${REOPEN_SIZES[0].toLocaleString('en-US')} stored events (new worker included)`,
            value: small.p50,
            unit: 'ms',
            spread: range(small),
          },
          {
            what: `weft reopen → first query, ${REOPEN_SIZES[1].toLocaleString('en-US')} stored events`,
            value: large.p50,
            unit: 'ms',
            spread: range(large),
            floor: { what: `reopen with ${REOPEN_SIZES[0].toLocaleString('en-US')}`, value: small.p50 },
            target: target(
              '≤ 150 ms (the 100k target) and flat: ≤ 1.2 × boot(1k)',
              large.p50 <= 150 && large.p50 <= 1.2 * small.p50,
            ),
          },
        ]
      : []),
    {
      what: `weft second tab (follower, same database) sees a ${TAB_BURST.toLocaleString('en-US')}-command burst of the leader tab`,
      value: tabRate,
      unit: 'events/s',
      spread: `${fmt(m.caughtUpMs)} ms from the first execute to the follower's live query holding all; the leader itself applied them in ${fmt(m.leaderAppliedMs)} ms`,
      target: target('≥ 10,000 events/s', tabRate >= 10_000),
    },
    {
      what: 'worker bundle (exposeWeftWorker(kanban), vite build library mode, minified), gzipped',
      value: kb,
      unit: 'kB',
      spread: `${fmt(m.bundle.raw / 1000)} kB raw`,
      target: target('≤ 40 kB', kb <= 40),
    },
  ];
}

interface Stats {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

function stats(samples: ReadonlyArray<number>): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return {
    n: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 10 ? 1 : 3);
}
