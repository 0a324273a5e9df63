import { describe, expect, it } from 'vitest';
import {
  addCard,
  openBoard,
  refreshDocsScreenshot,
  screenshotPath,
  titlesIn,
  twoPeopleForFile,
  waitInSync,
} from './e2e-support.ts';

/**
 * The demo end to end (DESIGN §8), in Debian's Chromium against the server as `npm start` runs
 * it: the offline WIP-limit conflict between two browsers, an offline card across a reload,
 * two tabs of one browser, and the page loading from its service worker with the server down.
 */
const conflictBoard = `conflict-${Date.now().toString(36)}`;

const people = twoPeopleForFile();

describe('the kanban demo', () => {
  it('settles an offline WIP-limit conflict: one move accepted, the other rejected and explained', async () => {
    const a = await openBoard(people.ann.context, people.server.url, conflictBoard);
    await expect.poll(() => a.getByTestId('column-count-doing').textContent()).toBe('0/2');
    await addCard(a, 'doing', 'Already doing');
    const annCard = await addCard(a, 'todo', "Ann's card");
    const bobCard = await addCard(a, 'todo', "Bob's card");
    await waitInSync(a);
    const b = await openBoard(people.bob.context, people.server.url, conflictBoard);
    await expect.poll(() => titlesIn(b, 'todo')).toEqual(["Ann's card", "Bob's card"]);
    await expect.poll(() => titlesIn(b, 'doing')).toEqual(['Already doing']);
    await waitInSync(b);

    // Both go offline, and both take the last place in "Doing".
    for (const page of [a, b]) {
      await page.getByTestId('online-switch').uncheck();
      await page.locator('[data-testid="status-sync"][data-sync="paused"]').waitFor();
    }
    await a.getByTestId(`card-move-${annCard}`).selectOption('doing');
    // Dropped on the column's header (not on a card): the card goes last.
    await b.getByTestId(`card-${bobCard}`).dragTo(b.getByTestId('column-title-doing'));

    // Each sees its own move, and a full column.
    await expect.poll(() => titlesIn(a, 'doing')).toEqual(['Already doing', "Ann's card"]);
    await expect.poll(() => titlesIn(b, 'doing')).toEqual(['Already doing', "Bob's card"]);
    for (const page of [a, b]) {
      expect(await page.getByTestId('column-doing').getAttribute('data-full')).toBe('true');
      await page.getByTestId('status-pending').filter({ hasText: /^1$/u }).waitFor();
    }
    await a.screenshot({ path: screenshotPath('1-ann-offline') });
    await b.screenshot({ path: screenshotPath('1-bob-offline') });

    // Ann reconnects first and wins; then Bob.
    await a.getByTestId('online-switch').check();
    await waitInSync(a);
    await b.getByTestId('online-switch').check();
    await waitInSync(b);

    // Both converge on the server's order; Bob is told why.
    for (const page of [a, b]) {
      await expect.poll(() => titlesIn(page, 'doing')).toEqual(['Already doing', "Ann's card"]);
      await expect.poll(() => titlesIn(page, 'todo')).toEqual(["Bob's card"]);
    }
    const toast = b.getByTestId('toast');
    await toast.waitFor();
    expect(await toast.getAttribute('data-code')).toBe('WIP_LIMIT');
    expect(await toast.textContent()).toContain('column "Doing" is full (2 cards)');
    expect(await a.getByTestId('toast').count()).toBe(0);

    // The audit panel shows the conflict: one move applied, the other rejected.
    await b.getByTestId('audit-refresh').click();
    const moves = b.locator('[data-testid="audit-record"][data-command="moveCard"]');
    await expect.poll(() => moves.count()).toBe(2);
    const outcomes = await moves.evaluateAll((items) => items.map((item) => item.getAttribute('data-outcome')));
    expect(outcomes).toHaveLength(2);
    expect(outcomes).toContain('rejected');
    expect(outcomes.filter((o) => o === 'clean' || o === 'rebased')).toHaveLength(1);
    const rejected = b.locator('[data-testid="audit-record"][data-outcome="rejected"]');
    expect(await rejected.textContent()).toContain('WIP_LIMIT');

    await a.screenshot({ path: screenshotPath('2-ann-converged') });
    await b.screenshot({ path: screenshotPath('2-bob-rejected') });
    refreshDocsScreenshot(screenshotPath('2-bob-rejected'), 'demo.png');
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps a card added offline across a reload, and syncs it later', async () => {
    const board = `offline-${Date.now().toString(36)}`;
    let page = await openBoard(people.ann.context, people.server.url, board);
    await waitInSync(page);
    await page.getByTestId('online-switch').uncheck();
    await addCard(page, 'todo', 'Written offline');
    await page.getByTestId('status-pending').filter({ hasText: /^1$/u }).waitFor();
    // `durable` follows `applied` by one group commit (a frame); the reload must not beat it.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));

    await page.reload();
    await page.getByTestId('column-doing').waitFor();
    await expect.poll(() => titlesIn(page, 'todo')).toEqual(['Written offline']);
    expect(await page.getByTestId('online-switch').isChecked()).toBe(false);
    await page.getByTestId('status-pending').filter({ hasText: /^1$/u }).waitFor();
    await page.screenshot({ path: screenshotPath('3-offline-after-reload') });

    await page.getByTestId('online-switch').check();
    await waitInSync(page);
    await page.close();

    // Another browser sees it: it reached the server.
    page = await openBoard(people.bob.context, people.server.url, board);
    await expect.poll(() => titlesIn(page, 'todo')).toEqual(['Written offline']);
    await page.close();
  });

  it('keeps two tabs of one browser in step', async () => {
    const board = `tabs-${Date.now().toString(36)}`;
    const one = await openBoard(people.bob.context, people.server.url, board);
    const two = await openBoard(people.bob.context, people.server.url, board);
    const card = await addCard(one, 'todo', 'From tab one');
    await expect.poll(() => titlesIn(two, 'todo')).toEqual(['From tab one']);

    await two.getByTestId(`card-rename-${card}`).click();
    await two.getByTestId(`card-rename-input-${card}`).fill('Renamed in tab two');
    await two.getByTestId(`card-rename-input-${card}`).press('Enter');
    await expect.poll(() => titlesIn(one, 'todo')).toEqual(['Renamed in tab two']);

    await one.getByTestId(`card-move-${card}`).selectOption('done');
    await expect.poll(() => titlesIn(two, 'done')).toEqual(['Renamed in tab two']);
    await two.getByTestId(`card-archive-${card}`).click();
    await expect.poll(() => titlesIn(one, 'done')).toEqual([]);
    await waitInSync(one);
    await waitInSync(two);
    await Promise.all([one.close(), two.close()]);
  });

  it('loads from the service worker and shows the board from IndexedDB with the server down', async () => {
    const page = await openBoard(people.ann.context, people.server.url, conflictBoard);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) await page.reload();
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await expect.poll(() => titlesIn(page, 'doing')).toEqual(['Already doing', "Ann's card"]);

    await people.server.stop();
    const response = await page.reload();
    expect(response?.fromServiceWorker()).toBe(true);
    await page.getByTestId('column-doing').waitFor();
    await expect.poll(() => titlesIn(page, 'doing')).toEqual(['Already doing', "Ann's card"]);
    await expect.poll(() => titlesIn(page, 'todo')).toEqual(["Bob's card"]);
    expect(await page.getByTestId('status-online').getAttribute('data-online')).toBe('false');
    await page.screenshot({ path: screenshotPath('4-server-down') });
    await page.close();
  });
});
