import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { WeftClient } from '../../client/page/create-client.ts';
import type { kanban } from '../../demo/app.ts';
import { browserHarnessForFile } from './harness/browser-harness.ts';

/**
 * The page ↔ worker stream (worker-stream.ts) batches commands and their answers; these check
 * that batching keeps what the API promises: order, and nothing lost at close.
 */
type W = Window & { weft: WeftClient<typeof kanban> };

const harness = browserHarnessForFile('weft-worker-stream-');

async function openPage(db: string, page?: Page): Promise<Page> {
  const tab = page ?? (await (await harness.profile()).newPage());
  tab.on('pageerror', (error) => console.error('page error:', error));
  await tab.goto(`${harness.url}/?${new URLSearchParams({ db, board: 'b1' })}`);
  await tab.waitForFunction(() => (window as unknown as W).weft !== undefined, undefined, { timeout: 30_000 });
  return tab;
}

describe('the worker stream in real Chromium', () => {
  it('tells the page of a command in order: its rows before `applied`, its pending count before `durable`', async () => {
    const tab = await openPage('order');
    const result = await tab.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      await weft.setOnline(false); // nothing settles: `pending` counts every command
      await weft.execute('createBoard', { boardId: 'b1', title: 'B' }).durable;
      await weft.execute('addColumn', { boardId: 'b1', columnId: 'todo', title: 'To do' }).durable;
      let seen = new Set<string>();
      weft.subscribe({ table: 'cards', where: { columnId: 'todo' } }, (cards) => {
        seen = new Set(cards.map((card) => card.cardId));
      });
      const base = weft.status().pending;
      const misses: string[] = [];
      for (let i = 0; i < 60; i++) {
        const run = weft.execute('addCard', { boardId: 'b1', cardId: `k${i}`, columnId: 'todo', title: `card ${i}` });
        await run.applied;
        if (!seen.has(`k${i}`)) misses.push(`k${i} applied before its rows arrived`);
        await run.durable;
        if (weft.status().pending !== base + i + 1) misses.push(`k${i} durable with pending ${weft.status().pending}`);
      }
      return { misses, base };
    });
    expect(result.base).toBe(2);
    expect(result.misses).toEqual([]);
  });

  it('runs every command executed before close(): a burst then an immediate close loses none, and a reload has them all', async () => {
    const tab = await openPage('burst-close');
    const outcomes = await tab.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      await weft.setOnline(false);
      await weft.execute('createBoard', { boardId: 'b1', title: 'B' }).durable;
      for (let c = 0; c < 20; c++) weft.execute('addColumn', { boardId: 'b1', columnId: `col${c}`, title: `C${c}` });
      const runs = [];
      for (let i = 0; i < 3000; i++) {
        runs.push(weft.execute('addCard', { boardId: 'b1', cardId: `k${i}`, columnId: `col${i % 20}`, title: `${i}` }));
      }
      const closing = weft.close(); // at once: the commands are still on their way to the worker
      const settle = (promise: Promise<void>) =>
        promise.then(
          () => 'ok',
          (error: { code?: string }) => error.code ?? String(error),
        );
      const applied = await Promise.all(runs.map((run) => settle(run.applied)));
      const durable = await Promise.all(runs.map((run) => settle(run.durable)));
      await closing;
      const count = (list: string[]) => {
        const counts: Record<string, number> = {};
        for (const outcome of list) counts[outcome] = (counts[outcome] ?? 0) + 1;
        return counts;
      };
      return { applied: count(applied), durable: count(durable) };
    });
    expect(outcomes).toEqual({ applied: { ok: 3000 }, durable: { ok: 3000 } });
    await openPage('burst-close', tab); // a reload: a new worker opens the database
    const stored = await tab.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      await weft.setOnline(false);
      const cards = await weft.query({ table: 'cards' });
      return {
        cards: cards.length,
        distinct: new Set(cards.map((card) => card.cardId)).size,
        pending: weft.status().pending,
      };
    });
    expect(stored).toEqual({ cards: 3000, distinct: 3000, pending: 1 + 20 + 3000 });
  });
});
