import { mkdirSync, writeFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { type BenchRow, format, printTable, quantile, runsSpread, summary } from '../report.ts';
import { type GrowthPoint, growthSvg } from './growth-chart.ts';
import type { BenchPage } from './page/main.ts';
import type { Runner } from './runner.ts';

/** `WEFT_BENCH_GROWTH_MAX=10000` stops at a smaller size, for a quick look. */
const SIZES = [1000, 10_000, 100_000, 1_000_000].filter(
  (size) => size <= Number(process.env.WEFT_BENCH_GROWTH_MAX ?? Number.POSITIVE_INFINITY),
);
const PENDING = [0, 10, 100, 1000] as const;
const SAMPLES = 50;
const REOPENS = 3;
const INCOMING = 1000;
const DB = 'bench-growth';
const BOARD = 'g';

/**
 * Growth: one database extended to 10³, 10⁴, 10⁵ and 10⁶ stored events (seeded through the
 * storage adapter, page/history.ts), and at each size, with 0, 10, 100 and 1,000 pending
 * commands: execute → applied and → durable, reopen → first query, and a rebase of the pending
 * commands over 1,000 incoming events. The rebases of the two small sizes run on databases of
 * their own, so the events they add do not inflate the next size. Writes docs/growth.svg (and
 * a PNG of it rendered by Chromium) and returns the tables.
 */
export async function benchGrowth(run: Runner, tab: Page, context: BrowserContext, runs: number): Promise<string[]> {
  const points: GrowthPoint[] = [];
  for (const size of SIZES) {
    console.log(`bench: growth: ${size.toLocaleString('en-US')} stored events ...`);
    await run(tab, 'seed', DB, BOARD, size);
    const steps = new Map<number, Awaited<ReturnType<BenchPage['growthStep']>>>();
    for (const pending of PENDING) {
      const step = await run(tab, 'growthStep', DB, BOARD, pending, SAMPLES, REOPENS);
      steps.set(pending, step);
      console.log(
        `bench: growth ${size}/${pending} pending: applied p50 ${format(quantile(step.applied, 0.5))} ms, durable p50 ${format(quantile(step.durable, 0.5))} ms, reopen ${step.reopen.map((t) => t.toFixed(0)).join(', ')} ms`,
      );
    }
    for (const pending of PENDING) {
      const db = size <= 10_000 ? `${DB}-rebase-${size}-${pending}` : DB;
      if (db !== DB) await run(tab, 'seed', db, BOARD, size);
      const rebase = await run(tab, 'rebase', db, BOARD, pending, INCOMING, runs);
      const step = steps.get(pending);
      if (!step) continue;
      const times = rebase.result.map((t) => t.visibleMs);
      console.log(
        `bench: growth ${size}/${pending} pending: rebase over ${INCOMING} ${times.map((t) => t.toFixed(1)).join(', ')} ms`,
      );
      points.push({
        size,
        pending,
        appliedP50: quantile(step.applied, 0.5),
        appliedP99: quantile(step.applied, 0.99),
        durableP50: quantile(step.durable, 0.5),
        durableP99: quantile(step.durable, 0.99),
        reopen: summary(step.reopen).median,
        reopenMin: summary(step.reopen).min,
        reopenMax: summary(step.reopen).max,
        screen: summary(step.screen).median,
        screenMin: summary(step.screen).min,
        screenMax: summary(step.screen).max,
        rebase: summary(times).median,
        longTasks: rebase.longTasks,
      });
    }
  }
  const svg = growthSvg(points, { samples: SAMPLES, reopens: REOPENS, incoming: INCOMING, runs });
  mkdirSync('docs', { recursive: true });
  writeFileSync('docs/growth.svg', svg);
  const page = await context.newPage();
  await page.setViewportSize({ width: 960, height: 640 });
  await page.setContent(`<body style="margin:0;background:#fff">${svg}</body>`);
  await page.locator('svg').screenshot({ path: 'docs/growth.png' });
  await page.close();
  console.log('bench: growth: wrote docs/growth.svg and docs/growth.png');
  return [reopenTable(points), growthTable(points)];
}

/** DESIGN §9's reopen row: 1k / 100k / 1M stored events, nothing pending, and the flatness ratio. */
function reopenTable(points: ReadonlyArray<GrowthPoint>): string {
  const at = (size: number) => points.find((p) => p.size === size && p.pending === 0);
  const small = at(1000);
  const rows: BenchRow[] = [];
  for (const size of [1000, 100_000, 1_000_000]) {
    const point = at(size);
    if (!point || !small) continue;
    const spread = runsSpread({ n: REOPENS, median: point.reopen, min: point.reopenMin, max: point.reopenMax });
    rows.push({
      what: `weft reopen → first query (all of one column: ${Math.max(1, size / 1000).toLocaleString('en-US')} of ${(size / 10).toLocaleString('en-US')} cards), ${size.toLocaleString('en-US')} stored events (new worker included)`,
      value: point.reopen,
      unit: 'ms',
      spread,
      ...(size === 1000 ? {} : { floor: { what: 'reopen with 1,000', value: small.reopen } }),
      ...(size === 100_000 ? { target: { text: '≤ 150 ms', met: point.reopen <= 150 } } : {}),
      ...(size === 1_000_000
        ? { target: { text: 'flat: ≤ 1.2 × boot(1k)', met: point.reopen <= 1.2 * small.reopen } }
        : {}),
    });
  }
  for (const size of [1000, 100_000, 1_000_000]) {
    const point = at(size);
    if (!point || !small) continue;
    const spread = runsSpread({ n: REOPENS, median: point.screen, min: point.screenMin, max: point.screenMax });
    rows.push({
      what: `weft reopen → first screen (50 cards of one column in rank order), ${size.toLocaleString('en-US')} stored events`,
      value: point.screen,
      unit: 'ms',
      spread,
      ...(size === 1000 ? {} : { floor: { what: 'first screen with 1,000', value: small.screen } }),
      ...(size === 1_000_000
        ? {
            target: {
              text: '≤ 100 ms and flat: ≤ 1.2 × (1k) (issue 16)',
              met: point.screen <= 100 && point.screen <= 1.2 * small.screen,
            },
          }
        : {}),
    });
  }
  return printTable('Reopen (stored history seeded through the storage adapter, offline)', rows);
}

function growthTable(points: ReadonlyArray<GrowthPoint>): string {
  const header = [
    'stored events',
    'pending',
    'execute → applied p50 / p99 (ms)',
    'execute → durable p50 / p99 (ms)',
    `rebase over ${INCOMING.toLocaleString('en-US')} incoming (ms)`,
    'reopen → first query (ms)',
    'main-thread long tasks',
  ];
  const lines = points.map((p) => [
    p.size.toLocaleString('en-US'),
    String(p.pending),
    `${format(p.appliedP50)} / ${format(p.appliedP99)}`,
    `${format(p.durableP50)} / ${format(p.durableP99)}`,
    format(p.rebase),
    `${format(p.reopen)} (${format(p.reopenMin)}–${format(p.reopenMax)})`,
    String(p.longTasks),
  ]);
  const table = [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  const text = `\n## Growth: stored events × pending commands\n\nExecute: ${SAMPLES} sequential addCard commands (on top of the pending ones), p50 / p99. Reopen: median of ${REOPENS} (min–max). Rebase: the pending renames re-run over one live message of ${INCOMING.toLocaleString('en-US')} events from another client, median of the runs. Chart: [docs/growth.svg](docs/growth.svg).\n\n${table}\n`;
  console.log(text);
  return text;
}
