/**
 * The query property on the IndexedDB storage in real Chromium: `dexieStorage` keeps every
 * declared (compound) index as native array keys, and each query is one key range. The Node
 * test runs the same property on fake-indexeddb; this one checks Chromium's own key order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// The browser project has no setup file: this sets and prints the run's seed (FC_SEED replays it).
import '../support/fast-check-seed.ts';
import { browserHarnessForFile } from './harness/browser-harness.ts';
import type { QueryPage } from './harness/query-main.ts';

const harness = browserHarnessForFile('weft-query-browser-');

describe('dexieStorage queryRows in Chromium', () => {
  it('reads what the reference reads (filter, sort, slice) after every commit (property)', async () => {
    const context = await harness.profile();
    const tab = await context.newPage();
    tab.on('pageerror', (error) => console.error('page error:', error));
    await tab.goto(`${harness.url}/query.html`);
    await tab.waitForFunction(() => document.body.dataset.ready === 'yes', undefined, { timeout: 60_000 });
    const seed = fc.readConfigureGlobal().seed as number;
    const report = await tab.evaluate(
      ([s, runs]) => (window as unknown as Window & QueryPage).runQueryProperty(s, runs),
      [seed, 40] as const,
    );
    expect(report, `seed ${seed}`).toBeNull();
  });
});
