import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../tests/support/chromium.ts';
import { startServer } from '../../tests/support/server-process.ts';
import {
  type BenchRow,
  environment,
  format,
  printTable,
  quantile,
  runsSpread,
  type Summary,
  summary,
} from '../report.ts';
import { servePage, workerBundleSize } from './build.ts';
import { benchGrowth } from './growth.ts';
import type { BenchPage } from './page/main.ts';
import type { Runner } from './runner.ts';

const ARGS = [...CHROMIUM_ARGS];

const ROUND_TRIPS = 2000;
const TRANSACTIONS = 300;
const BULK = 10_000;
const BULK_RUNS = 3;
const LIVE_RUNS = 1000;
const SEQUENTIAL = 2000;
const DURABLES = 300;
const BURST_COLUMNS = 100;
const TAB_BURST = 1000;
/** The rows of the scope when the tabs' memory is measured. */
const TAB_ROWS = 10_000;

interface TabRun {
  readonly rate: number;
  readonly caughtUpMs: number;
  readonly leaderMs: number;
  /** The follower page's main-thread CPU (CDP TaskDuration) over the burst, per event. */
  readonly cpuUsPerEvent: number;
  /** Each page's JS heap after a GC, with TAB_ROWS rows in the scope. */
  readonly followerHeap: number;
  readonly leaderHeap: number;
}
const CATCH_UP = 100_000;
/** DESIGN §9's two rebase cases, each beside the same delivery with nothing pending. */
const REBASES = [
  { pending: 100, incoming: 1000, target: 8 },
  { pending: 1000, incoming: 10_000, target: 50 },
] as const;
const REBASE_BASE = 10_000;

export interface ClientParts {
  /** The floors, weft's latencies beside Replicache, rebase, catch-up, second tab, bundle. */
  readonly client: boolean;
  /** Stored state of 10³…10⁶ events and 0…1,000 pending commands (growth.ts). */
  readonly growth: boolean;
  /** Repetitions of every figure. */
  readonly runs: number;
}

/**
 * The client rows of `npm run bench`, in headless Chromium: the floors (postMessage, Comlink,
 * raw IndexedDB, Dexie), weft's client paths and Replicache 15 in the same page and run, and
 * the worker bundle's gzipped size, each repeated `runs` times (median and range). The page is
 * built with `vite build`; the weft clients run offline, the rebase and catch-up rows against
 * a fake server inside the engine's worker (page/engine-worker.ts).
 */
export async function benchClient(parts: ClientParts): Promise<string[]> {
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
  environment.set('browser', `Chromium ${context.browser()?.version() ?? (await chromiumVersion(context))} (headless)`);
  try {
    const open = async (): Promise<Page> => {
      const tab = await context.newPage();
      tab.on('pageerror', (error) => console.error('bench page error:', error));
      tab.on('console', (message) => {
        if (message.text().startsWith('bench:')) console.log(message.text());
      });
      await tab.goto(site.url);
      await tab.waitForFunction(() => 'bench' in window, undefined, { timeout: 30_000 });
      return tab;
    };
    const tab = await open();
    const run: Runner = (page, step, ...args) =>
      page.evaluate(
        ([name, rest]) => {
          const bench = (window as unknown as { bench: Record<string, (...a: unknown[]) => unknown> }).bench;
          return bench[name as string]?.(...(rest as unknown[]));
        },
        [step, args] as const,
      ) as never;
    const sections: string[] = [];
    if (parts.client) sections.push(await clientSection(run, tab, open, parts.runs, dir));
    if (parts.growth) sections.push(...(await benchGrowth(run, tab, context, parts.runs)));
    return sections;
  } finally {
    await context.close().catch(() => undefined);
    await site.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function chromiumVersion(context: BrowserContext): Promise<string> {
  const page = await context.newPage();
  const agent = await page.evaluate(() => navigator.userAgent);
  await page.close();
  return /Chrome\/([\d.]+)/u.exec(agent)?.[1] ?? 'unknown';
}

async function clientSection(run: Runner, tab: Page, open: () => Promise<Page>, runs: number, dir: string) {
  const floors: Array<Awaited<ReturnType<BenchPage['floors']>>> = [];
  const replicache: Array<Awaited<ReturnType<BenchPage['replicache']>>> = [];
  const weft: Array<Awaited<ReturnType<BenchPage['weftLatency']>>> = [];
  const bursts: number[] = [];
  for (let r = 0; r < runs; r++) {
    console.log(`bench: client run ${r + 1}/${runs}: floors (postMessage, Comlink, IndexedDB, Dexie) ...`);
    floors.push(await run(tab, 'floors', ROUND_TRIPS, TRANSACTIONS, BULK, BULK_RUNS));
    if (!floors[0]?.isolated) console.log('bench: warning: the page is not cross-origin isolated (timers at 100 µs)');
    console.log(`bench: client run ${r + 1}/${runs}: Replicache 15 (mutate → subscribe, sequential mutate) ...`);
    replicache.push(await run(tab, 'replicache', LIVE_RUNS, SEQUENTIAL));
    console.log(
      `bench: client run ${r + 1}/${runs}: weft (execute → subscribe, sequential applied, durable alone) ...`,
    );
    weft.push(await run(tab, 'weftLatency', `bench-latency-${r}`, LIVE_RUNS, SEQUENTIAL, DURABLES));
    const burst = await run(tab, 'weftBurst', `bench-burst-${r}`, BULK, BURST_COLUMNS);
    bursts.push((BULK / burst.durableMs) * 1000);
    console.log(
      `bench: client weft burst ${r + 1}/${runs}: ${BULK} executes issued in ${burst.issuedMs.toFixed(0)} ms, applied ${burst.appliedMs.toFixed(0)} ms, durable ${burst.durableMs.toFixed(0)} ms`,
    );
  }
  const rebases: RebaseCase[] = [];
  for (const { pending, incoming, target } of REBASES) {
    for (const p of [0, pending]) {
      const db = `bench-rebase-${p}-${incoming}`;
      console.log(
        `bench: client rebase: ${p} pending over ${incoming} incoming (history of ${REBASE_BASE} events) ...`,
      );
      await run(tab, 'seed', db, 'rb', REBASE_BASE);
      const watched = await run(tab, 'rebase', db, 'rb', p, incoming, runs);
      rebases.push({ pending: p, incoming, target, ...watched });
      console.log(`bench: client rebase: ${watched.result.map((t) => t.visibleMs.toFixed(1)).join(', ')} ms`);
    }
  }
  const catchUps: Array<{ rate: number; longTasks: number }> = [];
  for (let r = 0; r < runs; r++) {
    console.log(`bench: client catch-up ${r + 1}/${runs}: ${CATCH_UP.toLocaleString('en-US')} server events ...`);
    const { result, longTasks } = await run(tab, 'catchUp', `bench-catchup-${r}`, 'cu', CATCH_UP);
    catchUps.push({ rate: (CATCH_UP / result.durableMs) * 1000, longTasks });
    console.log(
      `bench: client catch-up: visible ${result.visibleMs.toFixed(0)} ms, durable ${result.durableMs.toFixed(0)} ms`,
    );
  }
  const tabs: TabRun[] = [];
  for (let r = 0; r < runs; r++) {
    console.log(`bench: client second tab ${r + 1}/${runs} catches up ${TAB_BURST} events ...`);
    const leader = await open();
    const follower = await open();
    if (!(await run(leader, 'tabOpen', `bench-tabs-${r}`, 10))) throw new Error('bench: the first tab did not lead');
    if (await run(follower, 'tabOpen', `bench-tabs-${r}`, 10)) throw new Error('bench: the second tab also leads');
    // The follower page's main-thread CPU over the burst (its worker's is not in these metrics).
    const cdp = await follower.context().newCDPSession(follower);
    await cdp.send('Performance.enable');
    const cpu = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((metric) => metric.name === 'TaskDuration')?.value ?? 0;
    };
    const cpuBefore = await cpu();
    const seen = run(follower, 'tabWatch', TAB_BURST + 1);
    const burst = await run(leader, 'tabBurst', TAB_BURST, 10);
    const caughtUpMs = (await seen) - burst.started;
    const cpuUsPerEvent = (((await cpu()) - cpuBefore) * 1e6) / TAB_BURST;
    // Memory per extra tab: the scope grown to TAB_ROWS cards, then each page's JS heap after a GC.
    const more = TAB_ROWS - TAB_BURST;
    const grown = run(follower, 'tabWatch', TAB_ROWS + 1);
    await run(leader, 'tabBurst', more, 10, TAB_BURST + 1);
    await grown;
    const heap = async (page: Page) => {
      const session = await page.context().newCDPSession(page);
      await session.send('HeapProfiler.collectGarbage');
      const { usedSize } = await session.send('Runtime.getHeapUsage');
      await session.detach();
      return usedSize;
    };
    const followerHeap = await heap(follower);
    const leaderHeap = await heap(leader);
    await cdp.detach();
    tabs.push({
      rate: (TAB_BURST / caughtUpMs) * 1000,
      caughtUpMs,
      leaderMs: burst.appliedMs,
      cpuUsPerEvent,
      followerHeap,
      leaderHeap,
    });
    console.log(
      `bench: client second tab: caught up ${caughtUpMs.toFixed(0)} ms (the leader page applied it in ${burst.appliedMs.toFixed(0)} ms), follower page CPU ${cpuUsPerEvent.toFixed(1)} µs/event; page heap at ${TAB_ROWS.toLocaleString('en-US')} rows: follower ${(followerHeap / 1e6).toFixed(1)} MB, leader ${(leaderHeap / 1e6).toFixed(1)} MB`,
    );
    await run(follower, 'tabClose');
    await run(leader, 'tabClose');
    await follower.close();
    await leader.close();
  }
  console.log('bench: client worker bundle (vite build, library mode) ...');
  const bundle = await workerBundleSize(path.join(dir, 'worker-bundle'));
  return printTable(
    'Client (headless Chromium, offline engine in a module worker)',
    rows({ floors, replicache, weft, bursts, rebases, catchUps, tabs, bundle }),
  );
}

interface RebaseCase {
  readonly pending: number;
  readonly incoming: number;
  readonly target: number;
  readonly result: Array<{ visibleMs: number; durableMs: number }>;
  readonly longTasks: number;
  readonly longestMs: number;
}

interface Measured {
  readonly floors: Array<Awaited<ReturnType<BenchPage['floors']>>>;
  readonly replicache: Array<Awaited<ReturnType<BenchPage['replicache']>>>;
  readonly weft: Array<Awaited<ReturnType<BenchPage['weftLatency']>>>;
  readonly bursts: number[];
  readonly rebases: RebaseCase[];
  readonly catchUps: Array<{ rate: number; longTasks: number }>;
  readonly tabs: TabRun[];
  readonly bundle: { raw: number; gzip: number };
}

function rows(m: Measured): BenchRow[] {
  /** A figure per run, summarised: value is the median over runs. */
  const over = <T>(list: ReadonlyArray<T>, pick: (item: T) => number) => summary(list.map(pick));
  const p50 = (samples: ReadonlyArray<number>) => quantile(samples, 0.5);
  const p99 = (samples: ReadonlyArray<number>) => quantile(samples, 0.99);
  const perSecond = (ms: number) => (BULK / ms) * 1000;
  const raw = over(m.floors, (f) => p50(f.raw));
  const comlink = over(m.floors, (f) => p50(f.comlink));
  const idbOne = over(m.floors, (f) => p50(f.idbOne));
  const idbOne99 = over(m.floors, (f) => p99(f.idbOne));
  const idbBulk = over(m.floors, (f) => perSecond(p50(f.idbBulk)));
  const dexieBulk = over(m.floors, (f) => perSecond(p50(f.dexieBulk)));
  const repLive = over(m.replicache, (r) => p50(r.live));
  const repLive99 = over(m.replicache, (r) => p99(r.live));
  const repRate = over(m.replicache, (r) => (SEQUENTIAL / r.sequentialMs) * 1000);
  const live = over(m.weft, (w) => p50(w.live));
  const live99 = over(m.weft, (w) => p99(w.live));
  const rate = over(m.weft, (w) => (SEQUENTIAL / w.sequentialMs) * 1000);
  const durable = over(m.weft, (w) => p50(w.durable));
  const durable99 = over(m.weft, (w) => p99(w.durable));
  const burst = summary(m.bursts);
  const catchUp = over(m.catchUps, (c) => c.rate);
  const tabRate = over(m.tabs, (t) => t.rate);
  const kb = m.bundle.gzip / 1000;
  const spread = (s: Summary) => runsSpread(s);
  const target = (text: string, met: boolean) => ({ text, met });
  const n = (x: number) => x.toLocaleString('en-US');
  const rebaseRows = REBASES.flatMap(({ pending, incoming, target: ms }): BenchRow[] => {
    const base = m.rebases.find((c) => c.pending === 0 && c.incoming === incoming);
    const mine = m.rebases.find((c) => c.pending === pending && c.incoming === incoming);
    if (!base || !mine) return [];
    const alone = over(base.result, (t) => t.visibleMs);
    const rebased = over(mine.result, (t) => t.visibleMs);
    const tasks = `${mine.longTasks} long tasks on the main thread${mine.longTasks ? ` (longest ${fmt(mine.longestMs)} ms)` : ''}`;
    return [
      {
        what: `floor: ${n(incoming)} incoming events applied with nothing pending (one live message → subscriber in the worker)`,
        value: alone.median,
        unit: 'ms',
        spread: spread(alone),
      },
      {
        what: `weft rebase: ${n(pending)} pending over ${n(incoming)} incoming (live message → rebased state seen by a subscriber)`,
        value: rebased.median,
        unit: 'ms',
        spread: `${spread(rebased)}; ${tasks}; difference to the floor ${fmt(rebased.median - alone.median)} ms (the rebase's own share; within noise when near 0)`,
        floor: { what: 'same delivery, nothing pending', value: alone.median },
        target: target(`≤ ${ms} ms, no long task on the main thread`, rebased.median <= ms && mine.longTasks === 0),
      },
    ];
  });
  return [
    { what: 'floor: raw postMessage round trip to a worker, p50', value: raw.median, unit: 'ms', spread: spread(raw) },
    { what: 'floor: Comlink round trip to a worker, p50', value: comlink.median, unit: 'ms', spread: spread(comlink) },
    {
      what: 'floor: one raw IndexedDB readwrite transaction (1 put, strict) in a worker, p50',
      value: idbOne.median,
      unit: 'ms',
      spread: spread(idbOne),
    },
    {
      what: 'floor: one raw IndexedDB readwrite transaction, p99',
      value: idbOne99.median,
      unit: 'ms',
      spread: spread(idbOne99),
    },
    {
      what: `floor: raw IndexedDB, ${n(BULK)} records in one transaction`,
      value: idbBulk.median,
      unit: 'records/s',
      spread: spread(idbBulk),
    },
    { what: `floor: Dexie bulkAdd ${n(BULK)}`, value: dexieBulk.median, unit: 'records/s', spread: spread(dexieBulk) },
    {
      what: 'peer: Replicache 15 mutate → subscribe (same page, in memory), p50',
      value: repLive.median,
      unit: 'ms',
      spread: spread(repLive),
    },
    {
      what: 'peer: Replicache 15 mutate → subscribe, p99',
      value: repLive99.median,
      unit: 'ms',
      spread: spread(repLive99),
    },
    {
      what: 'peer: Replicache 15 sequential `await mutate`',
      value: repRate.median,
      unit: 'mutations/s',
      spread: spread(repRate),
    },
    {
      what: "weft execute → live query callback in the tab (the page's replica, no hop), p50",
      value: live.median,
      unit: 'ms',
      spread: spread(live),
      floor: { what: 'Replicache mutate → subscribe p50', value: repLive.median },
      target: target('p50 ≤ 0.05 ms', live.median <= 0.05),
    },
    {
      what: 'weft execute → live query callback in the tab, p99',
      value: live99.median,
      unit: 'ms',
      spread: spread(live99),
      floor: { what: 'Replicache mutate → subscribe p99', value: repLive99.median },
      target: target("p99 ≤ Replicache's p99", live99.median <= repLive99.median),
    },
    {
      what: 'weft sequential `await execute(…).applied`',
      value: rate.median,
      unit: 'commands/s',
      spread: spread(rate),
      floor: { what: 'Replicache sequential mutate', value: repRate.median },
      target: target('≥ 1.5 × Replicache', rate.median >= 1.5 * repRate.median),
    },
    {
      what: 'weft execute → durable, alone, p50',
      value: durable.median,
      unit: 'ms',
      spread: spread(durable),
      floor: { what: 'raw IndexedDB transaction p50', value: idbOne.median },
      target: target('≤ 1.3 × one raw IndexedDB transaction', durable.median <= 1.3 * idbOne.median),
    },
    {
      what: 'weft execute → durable, alone, p99',
      value: durable99.median,
      unit: 'ms',
      spread: spread(durable99),
      floor: { what: 'raw IndexedDB transaction p99', value: idbOne99.median },
      target: target('p99 ≤ 16 ms', durable99.median <= 16),
    },
    {
      what: `weft ${n(BULK)} executes without awaiting each, all durable (addCard over ${BURST_COLUMNS} columns)`,
      value: burst.median,
      unit: 'records/s',
      spread: spread(burst),
      floor: { what: 'raw IndexedDB one transaction', value: idbBulk.median },
      target: target('≥ 1 × floor (stretch 2 ×)', burst.median >= idbBulk.median),
    },
    {
      what: `weft catch-up: ${n(CATCH_UP)} server events pulled (pages of 1,000) and applied durably (fake server in the worker)`,
      value: catchUp.median,
      unit: 'records/s',
      spread: `${spread(catchUp)}; ${m.catchUps.reduce((sum, c) => sum + c.longTasks, 0)} long tasks on the main thread`,
      floor: { what: 'raw IndexedDB one transaction', value: idbBulk.median },
      target: target('≥ 1 × floor', catchUp.median >= idbBulk.median),
    },
    ...rebaseRows,
    {
      what: `weft second tab (follower, same database) sees a ${n(TAB_BURST)}-command burst of the leader tab`,
      value: tabRate.median,
      unit: 'events/s',
      spread: `${spread(tabRate)}; the leader page itself applied the burst in ${fmt(summary(m.tabs.map((t) => t.leaderMs)).median)} ms, the follower caught up ${fmt(summary(m.tabs.map((t) => t.caughtUpMs - t.leaderMs)).median)} ms after that (medians)`,
      target: target('≥ 20,000 events/s', tabRate.median >= 20_000),
    },
    {
      what: `weft second tab: the follower page's main-thread CPU per event of that burst (CDP TaskDuration; its worker not included)`,
      value: summary(m.tabs.map((t) => t.cpuUsPerEvent)).median,
      unit: 'µs/event',
      spread: spread(summary(m.tabs.map((t) => t.cpuUsPerEvent))),
    },
    {
      what: `weft memory per extra tab: the follower page's JS heap after a GC, a ${n(TAB_ROWS)}-row scope (workers not included)`,
      value: summary(m.tabs.map((t) => t.followerHeap / 1e6)).median,
      unit: 'MB',
      spread: `the leader page's: ${fmt(summary(m.tabs.map((t) => t.leaderHeap / 1e6)).median)} MB (median)`,
    },
    {
      what: 'worker bundle (exposeWeftWorker(kanban), vite build library mode, minified), gzipped',
      value: kb,
      unit: 'kB',
      spread: `${fmt(m.bundle.raw / 1000)} kB raw (deterministic: built once)`,
      target: target('≤ 40 kB', kb <= 40),
    },
  ];
}

function fmt(n: number): string {
  return format(n);
}
