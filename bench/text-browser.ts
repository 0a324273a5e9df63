import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { addCard, launchBrowser, openBoard, startDemoServer, waitInSync } from '../demo/e2e-support.ts';
import { type BenchRow, quantile } from './report.ts';

const KEYS = 300;

/**
 * Keystroke → textarea updated, in headless Chromium against `npm start`: Ann types into a card
 * description with real key events while Bob, in another profile, types 20 characters a second
 * into the same description. A sample is from the key's `keydown` to the first animation frame
 * after its `input` event (the frame that shows it). The floor is the same typing, in the same
 * page and at the same time, into a plain textarea with no binding.
 */
export async function benchTextBrowser(): Promise<BenchRow> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-bench-text-'));
  const server = await startDemoServer(dataDir);
  const [ann, bob] = await Promise.all([launchBrowser(), launchBrowser()]);
  try {
    const board = `bench-${Date.now().toString(36)}`;
    const a = await openBoard(ann.context, server.url, board);
    const card = await addCard(a, 'todo', 'Bench');
    await waitInSync(a);
    const b = await openBoard(bob.context, server.url, board);
    await b.getByTestId(`card-description-${card}`).waitFor();
    await waitInSync(b);
    await instrument(a, `card-description-${card}`);

    let typing = true;
    const peer = (async () => {
      await b.getByTestId(`card-description-${card}`).focus();
      while (typing) await b.keyboard.type('peer ', { delay: 50 }); // 20 characters a second
    })();
    const bound = await typeAndMeasure(a, `card-description-${card}`);
    const plain = await typeAndMeasure(a, 'bench-plain');
    typing = false;
    await peer;
    const p99 = quantile(bound, 0.99);
    return {
      what: 'keystroke → textarea updated (keydown → its frame), Chromium, while a peer types 20 chars/s',
      value: p99,
      unit: 'ms p99',
      spread: `p50 ${quantile(bound, 0.5).toFixed(1)}, ${bound.length} keys`,
      floor: { what: 'a plain textarea in the same page', value: quantile(plain, 0.99) },
      target: { text: '≤ 16 ms', met: p99 <= 16 },
    };
  } finally {
    await Promise.allSettled([ann.close(), bob.close()]);
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Adds a plain textarea (the floor) and a recorder of keydown → next frame after input. */
async function instrument(page: Page, _testId: string): Promise<void> {
  await page.evaluate(() => {
    const plain = document.createElement('textarea');
    plain.dataset.testid = 'bench-plain';
    document.body.prepend(plain);
    const w = window as unknown as { __samples: number[] };
    w.__samples = [];
    let down = 0;
    document.addEventListener('keydown', (e) => (down = e.timeStamp), true);
    document.addEventListener(
      'input',
      () => {
        const start = down;
        requestAnimationFrame(() => w.__samples.push(performance.now() - start));
      },
      true,
    );
  });
}

async function typeAndMeasure(page: Page, testId: string): Promise<number[]> {
  await page.evaluate(() => {
    (window as unknown as { __samples: number[] }).__samples = [];
  });
  await page.getByTestId(testId).focus();
  await page.keyboard.press('Control+End');
  for (let i = 0; i < KEYS; i++) await page.keyboard.type('k', { delay: 0 });
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
  return page.evaluate(() => (window as unknown as { __samples: number[] }).__samples);
}
