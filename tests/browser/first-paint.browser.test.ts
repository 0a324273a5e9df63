import { describe, expect, it } from 'vitest';
import { browserHarnessForFile } from './harness/browser-harness.ts';
import type { FirstPaintPage } from './harness/first-paint-main.ts';

/**
 * A replica's first paint from IndexedDB before its scope is loaded (issue 16, flat first
 * paint), in real Chromium: a lazy engine reopens a stored board without reading its rows; the
 * page's live query and `query` are answered through the declared index while the board's rows
 * are held back; a command on the board waits for them; once they are loaded the page's replica
 * serves the live query, which shows each change once and never an older result.
 */
const harness = browserHarnessForFile('weft-first-paint-');

describe('first paint from IndexedDB (real Chromium)', () => {
  it("serves a replica's first paint from IndexedDB before its scope is loaded", async () => {
    const context = await harness.profile();
    const tab = await context.newPage();
    tab.on('pageerror', (error) => console.error('page error:', error));
    await tab.goto(`${harness.url}/first-paint.html`);
    await tab.waitForFunction(() => document.body.dataset.ready === 'yes', undefined, { timeout: 60_000 });
    const report = await tab.evaluate(() => (window as unknown as Window & FirstPaintPage).firstPaint('first-paint'));
    expect(report.openRows).toBe(0); // the reopen read none of the board's rows
    expect(report.firstBeforeLoad).toBe(true);
    expect(report.queriedBeforeLoad).toBe(true);
    expect(report.queried).toEqual(['c0: one', 'c1: two', 'c2: three']);
    expect(report.indexReads).toBeGreaterThanOrEqual(2); // the live query's first result, and `query`
    expect(report.appliedBeforeLoad).toBe(false); // the command waited for the board's rows
    expect(report.scopeReads).toBe(4); // one load: each of the app's four tables, once
    expect(report.live).toEqual([
      ['c0: one', 'c1: two', 'c2: three'],
      ['c0: one', 'c1: two', 'c2: three', 'c3: four'],
      ['c0: ONE', 'c1: two', 'c2: three', 'c3: four'],
    ]);
  });

  it('serves the first paint of a board with pending commands from IndexedDB plus their overlay, before loading it', async () => {
    const context = await harness.profile();
    const tab = await context.newPage();
    tab.on('pageerror', (error) => console.error('page error:', error));
    await tab.goto(`${harness.url}/first-paint.html`);
    await tab.waitForFunction(() => document.body.dataset.ready === 'yes', undefined, { timeout: 60_000 });
    const report = await tab.evaluate(() =>
      (window as unknown as Window & FirstPaintPage).firstPaint('first-paint-pending', true),
    );
    const first = ['c0: one', 'c1: TWO', 'c2: three', 'b0: zero']; // the rename and the add pending
    expect(report.openRows).toBe(0); // the reopen read none of the board's rows, pending or not
    expect(report.firstBeforeLoad).toBe(true);
    expect(report.queriedBeforeLoad).toBe(true);
    expect(report.queried).toEqual(first);
    expect(report.appliedBeforeLoad).toBe(false);
    expect(report.scopeReads).toBe(4);
    // The loaded (rebased) result equals the first one: not delivered again.
    expect(report.live).toEqual([
      first,
      [...first, 'c3: four'],
      ['c0: ONE', 'c1: TWO', 'c2: three', 'b0: zero', 'c3: four'],
    ]);
  });
});
