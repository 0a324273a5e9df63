import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  expectCleanLog,
  runSeed,
  seededRandom,
  type TabsWindow,
  tabsHarnessForFile,
  waitForClient,
} from './harness/tabs-harness.ts';

/**
 * Tabs dying at random moments, in real Chromium (TEST-PLAN F07 tab-close-race and S05
 * multi-tab-leader-election). What a page saw `durable` is reported out of it at once, through
 * a function the test exposes, so a close right after cannot hide it.
 */

const harness = tabsHarnessForFile('weft-tabs-race-');

/** Close-or-reload rounds of F07: each reopens the client from IndexedDB (about 1.5 s a round here). */
const ROUNDS = 30;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects the card ids the pages of `context` saw durable (their `addCard` commands). */
async function durableLog(context: BrowserContext): Promise<Set<string>> {
  const durable = new Set<string>();
  await context.exposeFunction('weftDurable', (cardId: string) => {
    durable.add(cardId);
  });
  return durable;
}

/** Creates the board and its column, and waits until the server confirmed both. */
async function createBoard(tab: Page, board: string): Promise<void> {
  await tab.evaluate(async (board) => {
    const weft = (window as unknown as TabsWindow).weft;
    weft.execute('createBoard', { boardId: board, title: board });
    await weft.execute('addColumn', { boardId: board, columnId: `${board}-todo`, title: 'To do' }).confirmed;
  }, board);
}

/** Runs `addCard` for each id in the page, reporting each one out as soon as it is durable. */
function addCards(tab: Page, board: string, cardIds: string[]): Promise<void> {
  return tab.evaluate(
    ({ board, cardIds }) => {
      const page = window as unknown as TabsWindow;
      for (const cardId of cardIds) {
        page.weft.execute('addCard', { boardId: board, cardId, columnId: `${board}-todo`, title: cardId }).durable.then(
          () => (page.weftDurable as (id: string) => void)(cardId),
          () => undefined,
        );
      }
    },
    { board, cardIds },
  );
}

const cardIds = (tab: Page) =>
  tab.evaluate(async () =>
    (await (window as unknown as TabsWindow).weft.query({ table: 'cards' })).map((card) => card.cardId),
  );

async function waitSynced(tab: Page): Promise<void> {
  await tab.waitForFunction(
    () => {
      const status = (window as unknown as TabsWindow).weft.status();
      return status.pending === 0 && status.online;
    },
    undefined,
    { timeout: 30_000 },
  );
}

describe('tabs closing and failing over at random moments (real Chromium)', () => {
  it('F07: every command a tab saw durable survives the tab closing or reloading 0–50 ms later, once', async () => {
    const seed = runSeed('F07 tab-close-race');
    const random = seededRandom(seed);
    const context = await harness.profile();
    const durable = await durableLog(context);
    const params = { db: 'f07', board: 'f07' };
    const issued = new Set<string>();
    let tab = await harness.open(context, params);
    await createBoard(tab, 'f07');

    for (let round = 0; round < ROUNDS; round++) {
      const ids = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => `f07-${round}-${i}`);
      for (const id of ids) issued.add(id);
      const delay = Math.floor(random() * 51);
      const close = random() < 0.5;
      await addCards(tab, 'f07', ids);
      await sleep(delay);
      if (close) {
        await tab.close();
        tab = await harness.open(context, params);
      } else {
        await tab.reload({ waitUntil: 'commit' });
        await waitForClient(tab);
      }
      // Right after reopening, every acknowledged command is there (pending or confirmed).
      const visible = new Set(await cardIds(tab));
      const missing = [...durable].filter((id) => !visible.has(id));
      expect(missing, `round ${round} (${close ? 'close' : 'reload'} after ${delay} ms), seed ${seed}`).toEqual([]);
    }

    await waitSynced(tab);
    const events = await expectCleanLog(harness, 'board:f07');
    const added = events
      .filter((event) => event.type === 'cardAdded')
      .map((event) => (event.data as { cardId: string }).cardId);
    expect(new Set(added).size, `no card added twice, seed ${seed}`).toBe(added.length);
    expect(
      [...durable].filter((id) => !added.includes(id)),
      `acknowledged, then missing; seed ${seed}`,
    ).toEqual([]);
    expect(added.filter((id) => !issued.has(id))).toEqual([]);
    expect(durable.size).toBeGreaterThan(0); // the race was run, not only lost
    console.log(
      `F07: ${issued.size} issued, ${durable.size} acknowledged durable, ${added.length} on the server, ` +
        `${issued.size - added.length} lost before durable`,
    );
  }, 90_000);
});
