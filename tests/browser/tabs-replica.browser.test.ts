import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectCleanLog, type TabsWindow, tabsHarnessForFile } from './harness/tabs-harness.ts';

/**
 * Each page's replica (issue 16), in real Chromium: a follower tab runs its commands on its
 * own rows, so `applied` and its live query do not wait for the leader tab; the leader stays
 * the source of truth, and its answer corrects the follower's replica; a leader change while a
 * follower has commands the leader never answered loses none and doubles none.
 */

const harness = tabsHarnessForFile('weft-tabs-replica-');

/** Creates board `boardId` with a `todo` column from `tab`, and waits until the server confirmed it. */
const board = (tab: Page, boardId: string) =>
  tab.evaluate(async (boardId) => {
    const weft = (window as unknown as TabsWindow).weft;
    weft.execute('createBoard', { boardId, title: boardId });
    await weft.execute('addColumn', { boardId, columnId: `${boardId}-todo`, title: 'To do' }).confirmed;
  }, boardId);

/** Keeps the latest result of a live query of the board's cards in `window.cards` (`cardId: title`). */
const watchCards = (tab: Page) =>
  tab.evaluate(() => {
    const page = window as unknown as TabsWindow;
    page.weft.subscribe({ table: 'cards', orderBy: 'cardId' }, (rows) => {
      page.cards = rows.map((row) => `${row.cardId}: ${row.title}`);
    });
  });

const cards = (tab: Page) => tab.evaluate(() => (window as unknown as TabsWindow).cards as string[] | undefined);

/** Starts commands on `tab` now, kept in `window.runs`; resolves once each one's `applied` did. */
const execute = (tab: Page, boardId: string, added: Array<{ cardId: string; title: string }>) =>
  tab.evaluate(
    async ({ boardId, added }) => {
      const page = window as unknown as TabsWindow;
      const runs = added.map(({ cardId, title }) =>
        page.weft.execute('addCard', { boardId, cardId, columnId: `${boardId}-todo`, title }),
      );
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: Error & { code?: string }) => e.code ?? e.message,
        );
      page.outcomes = Promise.all(runs.map((run) => outcome(run.confirmed)));
      page.durables = Promise.all(runs.map((run) => outcome(run.durable)));
      await Promise.all(runs.map((run) => run.applied));
      return (page.cards as string[]).slice();
    },
    { boardId, added },
  );

const isLeader = (tab: Page) => tab.evaluate(() => (window as unknown as TabsWindow).weft.status().leader);

/**
 * Blocks the leader tab's thread for `ms` (a long task), where its engine runs (`inline`): it
 * answers nothing meanwhile. Resolves once the block has begun; `done` once it ended.
 */
async function stall(tab: Page, watcher: Page, ms: number): Promise<{ done: Promise<unknown> }> {
  // The watcher listens before the leader says it stalls, or the one message could be missed.
  await watcher.evaluate(() => {
    const page = window as unknown as { stalled?: Promise<void> };
    page.stalled = new Promise<void>((resolve) => {
      new BroadcastChannel('stalled').onmessage = () => resolve();
    });
  });
  const stalled = watcher.evaluate(() => (window as unknown as { stalled?: Promise<void> }).stalled);
  const done = tab
    .evaluate((ms) => {
      new BroadcastChannel('stalled').postMessage('now');
      const end = Date.now() + ms;
      while (Date.now() < end) {
        // busy: no message of the tabs' channel is handled
      }
    }, ms)
    .catch(() => undefined);
  await stalled;
  return { done };
}

describe("each page's replica (real Chromium)", () => {
  it('a follower applies without the leader, and keeps its commands across a leader change', async () => {
    const context = await harness.profile();
    const params = { db: 'replica-change', board: 'r1' };
    const leader = await harness.open(context, { ...params, inline: '1' });
    const follower = await harness.open(context, params);
    expect(await isLeader(leader)).toBe(true);
    await board(leader, 'r1');
    await watchCards(follower);
    await stall(leader, follower, 6_000);
    // The leader answers nothing now: the follower's replica decides `applied` and its live query.
    const seen = await execute(follower, 'r1', [
      { cardId: 'f1', title: 'one' },
      { cardId: 'f2', title: 'two' },
      { cardId: 'f3', title: 'three' },
    ]);
    expect(seen).toEqual(['f1: one', 'f2: two', 'f3: three']);
    // The leader goes away with the three unanswered: the follower takes over and runs them.
    await leader.close();
    await follower.waitForFunction(() => (window as unknown as TabsWindow).weft.status().leader, undefined, {
      timeout: 30_000,
    });
    expect(await follower.evaluate(() => (window as unknown as TabsWindow).outcomes)).toEqual(['ok', 'ok', 'ok']);
    expect(await cards(follower)).toEqual(['f1: one', 'f2: two', 'f3: three']);
    // A new tab follows it and mirrors the same rows.
    const next = await harness.open(context, params);
    await watchCards(next);
    await next.waitForFunction(() => ((window as unknown as TabsWindow).cards as string[] | undefined)?.length === 3);
    expect(await cards(next)).toEqual(['f1: one', 'f2: two', 'f3: three']);
    const events = await expectCleanLog(harness, 'board:r1');
    expect(events.filter((event) => event.type === 'cardAdded')).toHaveLength(3);
  });

  it("a follower's replica is corrected by the leader's answer", async () => {
    const context = await harness.profile();
    const params = { db: 'replica-correct', board: 'r2' };
    const leader = await harness.open(context, { ...params, inline: '1' });
    const first = await harness.open(context, params);
    const second = await harness.open(context, params);
    expect(await isLeader(leader)).toBe(true);
    await board(leader, 'r2');
    for (const tab of [first, second]) await watchCards(tab);
    const { done } = await stall(leader, first, 3_000);
    // Both followers add the same card while the leader answers nothing: each applies its own.
    expect(await execute(first, 'r2', [{ cardId: 'same', title: 'from first' }])).toEqual(['same: from first']);
    expect(await execute(second, 'r2', [{ cardId: 'same', title: 'from second' }])).toEqual(['same: from second']);
    await done;
    const outcomes = await Promise.all(
      [first, second].map((tab) => tab.evaluate(() => (window as unknown as TabsWindow).outcomes as Promise<string[]>)),
    );
    // The leader ran one of them first (the tabs' messages reached it in either order) and
    // refuses the other; that tab's replica drops its own card for the leader's.
    expect(outcomes.flat().sort()).toEqual(['ALREADY_EXISTS', 'ok']);
    const winner = outcomes[0]?.[0] === 'ok' ? 'from first' : 'from second';
    for (const tab of [first, second]) {
      await tab.waitForFunction(
        (title) => ((window as unknown as TabsWindow).cards as string[] | undefined)?.[0] === `same: ${title}`,
        winner,
        { timeout: 30_000 },
      );
      expect(await cards(tab)).toEqual([`same: ${winner}`]);
    }
  });
});
