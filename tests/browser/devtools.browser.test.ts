import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  addCard,
  openBoard,
  refreshDocsScreenshot,
  screenshotPath,
  titlesIn,
  twoPeopleForFile,
  waitInSync,
} from '../../demo/e2e-support.ts';

/**
 * weft's devtools in the demo, in Debian's Chromium against the server as `npm start` runs it:
 * the offline WIP-limit conflict between two browsers, then the loser's panel shows its move
 * as `rejected`, with the winner's move named as the command that intervened. The screenshot
 * of that panel is the one README shows (docs/devtools.png).
 */
const board = `devtools-${Date.now().toString(36)}`;

const people = twoPeopleForFile();

/** Opens the page's devtools with its button. */
async function openPanel(page: Page) {
  await page.getByTestId('open-devtools').click();
  await page.getByTestId('devtools-panel').waitFor();
}

describe('the devtools panel in the demo', () => {
  it("shows the loser's move rejected, with the winner's move as the intervening command", async () => {
    const a = await openBoard(people.ann.context, people.server.url, board);
    await addCard(a, 'doing', 'Already doing');
    const annCard = await addCard(a, 'todo', "Ann's card");
    const bobCard = await addCard(a, 'todo', "Bob's card");
    await waitInSync(a);
    const b = await openBoard(people.bob.context, people.server.url, board);
    await expect.poll(() => titlesIn(b, 'todo')).toEqual(["Ann's card", "Bob's card"]);
    await waitInSync(b);

    for (const page of [a, b]) {
      await page.getByTestId('online-switch').uncheck();
      await page.locator('[data-testid="status-sync"][data-sync="paused"]').waitFor();
    }
    await a.getByTestId(`card-move-${annCard}`).selectOption('doing');
    await b.getByTestId(`card-move-${bobCard}`).selectOption('doing');
    for (const page of [a, b]) await page.getByTestId('status-pending').filter({ hasText: /^1$/u }).waitFor();

    // Ann reconnects first and wins; then Bob, whose move the server refuses.
    await a.getByTestId('online-switch').check();
    await waitInSync(a);
    await b.getByTestId('online-switch').check();
    await waitInSync(b);
    await b.getByTestId('toast').waitFor();

    // Ann's panel: her move, confirmed by the server, and its id.
    await openPanel(a);
    const annMove = a.locator('[data-testid="devtools-command"][data-name="moveCard"]');
    await expect.poll(() => annMove.getAttribute('data-state')).toMatch(/^(confirmed|rebased)$/u);
    const annMoveId = await annMove.getAttribute('data-id');
    expect(annMoveId).toBeTruthy();

    // Bob's panel: his move rejected, the timeline through to the rejection, and Ann's move named.
    await openPanel(b);
    const bobMove = b.locator('[data-testid="devtools-command"][data-name="moveCard"]');
    await expect.poll(() => bobMove.getAttribute('data-state')).toBe('rejected');
    await bobMove.getByTestId('devtools-command-toggle').click();
    const stages = await bobMove
      .locator('[data-testid="devtools-timeline"] li')
      .evaluateAll((items) =>
        items.map((li) => [li.getAttribute('data-stage'), li.querySelector('.time')?.textContent ?? '']),
      );
    expect(stages.map(([stage]) => stage)).toEqual(['executed', 'applied', 'durable', 'pushed', 'rejected']);
    for (const [stage, time] of stages) expect(time, `${stage} has a time`).toMatch(/^\d\d:\d\d:\d\d\.\d{3}/u);
    expect(await bobMove.locator('[data-stage="pushed"]').textContent()).toContain('the server recorded it');
    const audit = bobMove.getByTestId('devtools-audit');
    await expect.poll(() => audit.getAttribute('data-outcome')).toBe('rejected');
    expect(await audit.textContent()).toContain('WIP_LIMIT');
    const intervened = bobMove.getByTestId('devtools-intervened');
    await expect.poll(() => intervened.getAttribute('data-command-id')).toBe(annMoveId);
    expect(await intervened.getAttribute('data-command-name')).toBe('moveCard');
    const annName = await a.getByTestId('user-name').inputValue();
    expect(await intervened.textContent()).toContain(`moveCard by ${annName}`);

    await b.screenshot({ path: screenshotPath('devtools') });
    refreshDocsScreenshot(screenshotPath('devtools'), 'devtools.png');

    // The Scopes view: Ann's move is the newest event, and it moved her card from To do to Doing.
    await b.getByTestId('devtools-show-scopes').click();
    const newest = b.getByTestId('devtools-event').first();
    await expect.poll(() => newest.getAttribute('data-type')).toBe('cardMoved');
    expect(await newest.textContent()).toContain(`moveCard ${annMoveId?.slice(0, 8)} by ${annName}`);
    await newest.locator('button').click();
    const write = b.locator(`[data-testid="devtools-row-write"][data-table="cards"][data-key="${annCard}"]`);
    await write.waitFor();
    expect(JSON.parse((await write.getByTestId('devtools-row-before').textContent()) ?? '')).toMatchObject({
      columnId: 'todo',
    });
    expect(JSON.parse((await write.getByTestId('devtools-row-after').textContent()) ?? '')).toMatchObject({
      columnId: 'doing',
    });
    await Promise.all([a.close(), b.close()]);
  });
});
