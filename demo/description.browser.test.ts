import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addCard, openBoard, screenshotPath, twoPeopleForFile, waitInSync } from './e2e-support.ts';

/**
 * Collaborative text in the demo (issue 18), in Debian's Chromium against `npm start`: two
 * browser profiles type into one card's description while both are offline, with real
 * keystrokes; after each reconnects, both show the same text, with every character each typed
 * and each person's typing in one piece, and the audit panel lists both people's edits.
 */
const board = `text-${Date.now().toString(36)}`;

const people = twoPeopleForFile();

const description = (page: Page, cardId: string) => page.getByTestId(`card-description-${cardId}`);

/** Types with real key events at the end of the description, a pause in the middle (two bursts). */
async function typeAtEnd(page: Page, cardId: string, first: string, second: string): Promise<void> {
  await description(page, cardId).focus();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(first, { delay: 15 });
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 400)));
  await page.keyboard.type(second, { delay: 15 });
}

describe('the demo card description', () => {
  it('merges two people typing offline into one description, losing nothing', async () => {
    const a = await openBoard(people.ann.context, people.server.url, board);
    const card = await addCard(a, 'todo', 'Shared card');
    await description(a, card).focus();
    await a.keyboard.type('Notes.', { delay: 10 });
    await description(a, card).blur();
    await waitInSync(a);
    const b = await openBoard(people.bob.context, people.server.url, board);
    await expect.poll(() => description(b, card).inputValue()).toBe('Notes.');
    await waitInSync(b);

    for (const page of [a, b]) {
      await page.getByTestId('online-switch').uncheck();
      await page.locator('[data-testid="status-sync"][data-sync="paused"]').waitFor();
    }
    await typeAtEnd(a, card, ' Ann was', ' here.');
    await typeAtEnd(b, card, ' Bob', ' too.');
    // Bob also fixes the start, then puts the caret back at the end.
    await b.keyboard.press('Control+Home');
    await b.keyboard.type('My ', { delay: 15 });
    await b.keyboard.press('Control+End');
    for (const [page, text] of [
      [a, 'Notes. Ann was here.'],
      [b, 'My Notes. Bob too.'],
    ] as const) {
      await description(page, card).blur();
      await expect.poll(() => description(page, card).inputValue()).toBe(text);
      await expect.poll(async () => Number(await page.getByTestId('status-pending').textContent())).toBeGreaterThan(0);
    }
    await a.screenshot({ path: screenshotPath('text-1-ann-offline') });
    await b.screenshot({ path: screenshotPath('text-1-bob-offline') });

    // Ann reconnects first, then Bob: Bob's text, anchored on the same ".", goes right after it.
    await a.getByTestId('online-switch').check();
    await waitInSync(a);
    await b.getByTestId('online-switch').check();
    await waitInSync(b);
    await waitInSync(a);
    const merged = 'My Notes. Bob too. Ann was here.';
    for (const page of [a, b]) await expect.poll(() => description(page, card).inputValue()).toBe(merged);
    await a.screenshot({ path: screenshotPath('text-2-ann-merged') });

    // Online now: Ann types in the middle while Bob's caret sits at the end; his caret stays there.
    await description(b, card).focus();
    await b.keyboard.press('Control+End');
    await description(a, card).focus();
    await a.keyboard.press('Control+Home');
    await a.keyboard.type('All: ', { delay: 10 });
    await description(a, card).blur();
    const final = `All: ${merged}`;
    await expect.poll(() => description(b, card).inputValue()).toBe(final);
    expect(await description(b, card).evaluate((el: HTMLTextAreaElement) => el.selectionStart)).toBe(final.length);

    // Both type at the end at the same time, online: nothing is lost, no burst is split.
    await Promise.all([typeAtEnd(a, card, ' Ann:', ' hi'), typeAtEnd(b, card, ' Bob:', ' yo')]);
    for (const page of [a, b]) await description(page, card).blur();
    await waitInSync(a);
    await waitInSync(b);
    const together = await description(a, card).inputValue();
    await expect.poll(() => description(b, card).inputValue()).toBe(together);
    expect(together.startsWith(final)).toBe(true);
    // Every burst is there in one piece (two bursts of one person are separate edits; normally
    // they end up side by side, as each anchors on the person's own last character).
    const tail = together.slice(final.length);
    expect(tail).toHaveLength(' Ann: hi Bob: yo'.length);
    for (const burst of [' Ann:', ' hi', ' Bob:', ' yo']) expect(tail).toContain(burst);

    // The audit panel lists both people's description edits.
    await b.getByTestId('audit-refresh').click();
    const edits = b.locator('[data-testid="audit-record"][data-command="editDescription"]');
    await expect.poll(() => edits.count()).toBeGreaterThanOrEqual(5);
    const users = await edits.evaluateAll((items) => items.map((item) => item.querySelector('strong')?.textContent));
    expect(new Set(users).size).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('shows a lost update in the audit panel: "overwrote <user>\'s rename"', async () => {
    const renameBoard = `rename-${Date.now().toString(36)}`;
    const a = await openBoard(people.ann.context, people.server.url, renameBoard);
    const card = await addCard(a, 'todo', 'Title');
    await waitInSync(a);
    const b = await openBoard(people.bob.context, people.server.url, renameBoard);
    await b.getByTestId(`card-${card}`).waitFor();
    await waitInSync(b);
    for (const page of [a, b]) {
      await page.getByTestId('online-switch').uncheck();
      await page.locator('[data-testid="status-sync"][data-sync="paused"]').waitFor();
    }
    for (const [page, title] of [
      [a, 'Title by Ann'],
      [b, 'Title by Bob'],
    ] as const) {
      await page.getByTestId(`card-rename-${card}`).click();
      await page.getByTestId(`card-rename-input-${card}`).fill(title);
      await page.getByTestId(`card-rename-input-${card}`).press('Enter');
    }
    await a.getByTestId('online-switch').check();
    await waitInSync(a);
    await b.getByTestId('online-switch').check();
    await waitInSync(b);
    const annName = await a.getByTestId('user-name').inputValue();
    await b.getByTestId('audit-refresh').click();
    const lost = b.getByTestId('audit-overwrote');
    await expect.poll(() => lost.count()).toBe(1);
    expect(await lost.textContent()).toBe(`overwrote ${annName}'s rename`);
    await b.screenshot({ path: screenshotPath('text-3-overwrote') });
    await Promise.all([a.close(), b.close()]);
  });
});
