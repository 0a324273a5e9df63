/**
 * Honest storage failure in real Chromium (TEST-PLAN S01, S03, S04; G16): the test page's
 * client in its module worker on real IndexedDB, against the real server over HTTP.
 */
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { WeftClient } from '../../client/page/create-client.ts';
import type { kanban } from '../../demo/app.ts';
import type { AuditResponse, PullResponse } from '../../shared/index.ts';
import { api } from '../support/http.ts';
import { browserHarnessForFile } from './harness/browser-harness.ts';

type W = Window & { weft: WeftClient<typeof kanban> };

const harness = browserHarnessForFile('weft-storage-browser-');

async function openPage(context: BrowserContext, params: Record<string, string>): Promise<Page> {
  const tab = await context.newPage();
  tab.on('pageerror', (error) => console.error('page error:', error));
  await tab.goto(`${harness.url}/?${new URLSearchParams(params)}`);
  await tab.waitForFunction(() => (window as unknown as W).weft !== undefined, undefined, { timeout: 30_000 });
  return tab;
}

const alice = () => api(harness.server.url, 'demo:alice');
const pull = (scope: string) =>
  alice().get<PullResponse>(`/v1/pull?scope=${encodeURIComponent(scope)}&after=0&limit=1000`);
const audit = (scope: string) => alice().get<AuditResponse>(`/v1/audit?scope=${encodeURIComponent(scope)}&limit=1000`);

/** Sets up board `boardId` with a column `todo-<boardId>`, confirmed by the server. */
async function board(tab: Page, boardId: string): Promise<void> {
  await tab.evaluate(async (boardId) => {
    const weft = (window as unknown as W).weft;
    weft.execute('createBoard', { boardId, title: boardId });
    await weft.execute('addColumn', { boardId, columnId: `todo-${boardId}`, title: 'To do' }).confirmed;
  }, boardId);
}

describe('storage failures in real Chromium', () => {
  it('S01: on a full origin a command is refused with storage_full, its effect undone, and works again once space frees', async () => {
    const context = await harness.profile();
    // A tiny quota, set before the app opens its database (Chromium applies it to databases
    // opened afterwards), from a page of the origin that runs no app.
    const origin = new URL(harness.url).origin;
    const bystander = await context.newPage();
    await bystander.goto(`${harness.url}/main.ts`);
    const cdp = await context.newCDPSession(bystander);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 2 * 1024 * 1024 });
    const tab = await openPage(context, { db: 'quota', board: 'q1' });
    await board(tab, 'q1');
    // Fill what is left with another database, until the browser refuses more.
    const filled = await tab.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('filler');
        request.onupgradeneeded = () => request.result.createObjectStore('blobs');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      // Random bytes (IndexedDB compresses values), in ever smaller pieces down to a few bytes,
      // so not even a small outbox row fits afterwards.
      const put = (key: number, size: number) =>
        new Promise<string | null>((resolve) => {
          const tx = db.transaction('blobs', 'readwrite');
          tx.objectStore('blobs').put(crypto.getRandomValues(new Uint8Array(size)), key);
          tx.oncomplete = () => resolve(null);
          tx.onabort = () => resolve(tx.error?.name ?? 'AbortError');
        });
      const errors = new Set<string>();
      let key = 0;
      for (let size = 64 * 1024; size >= 16; size /= 4) {
        for (let error = null as string | null; error === null && key < 10_000; key++) {
          error = await put(key, size);
          if (error) errors.add(error);
        }
      }
      db.close();
      return { errors: [...errors], pieces: key };
    });
    expect(filled.errors).toEqual(['QuotaExceededError']);

    const refused = await tab.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      const run = weft.execute('addCard', {
        boardId: 'q1',
        cardId: 'big',
        columnId: 'todo-q1',
        title: 'x'.repeat(200),
      });
      await run.applied;
      const seen = (await weft.query({ table: 'cards' })).map((card) => card.cardId);
      const codes = await Promise.all(
        [run.durable, run.confirmed].map((p) =>
          p.then(
            () => 'resolved',
            (e: { code: string }) => e.code,
          ),
        ),
      );
      return { seen, codes, after: (await weft.query({ table: 'cards' })).length, status: weft.status() };
    });
    expect(refused.seen).toEqual(['big']); // applied at once, optimistically
    expect(refused.codes).toEqual(['storage_full', 'storage_full']);
    expect(refused.after).toBe(0); // and gone once refused: no partial projection
    expect(refused.status).toMatchObject({ storage: 'full', lastError: { code: 'storage_full' }, pending: 0 });
    await tab.screenshot({ path: path.resolve('test-results', 'storage-full.png') });

    // Space frees: the next command is durable and confirmed, and status clears.
    await tab.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase('filler');
          request.onsuccess = () => resolve();
          request.onerror = () => reject(request.error);
        }),
    );
    const later = await tab.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      const run = weft.execute('addCard', { boardId: 'q1', cardId: 'small', columnId: 'todo-q1', title: 'fits' });
      await run.durable;
      await run.confirmed;
      return { cards: (await weft.query({ table: 'cards' })).map((card) => card.cardId), status: weft.status() };
    });
    expect(later.cards).toEqual(['small']);
    expect(later.status).toMatchObject({ storage: 'ok' });
    const { json } = await pull('board:q1');
    expect(json.events.filter((event) => event.type === 'cardAdded').map((event) => event.data)).toEqual([
      expect.objectContaining({ cardId: 'small' }),
    ]);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  });

  it('S03: the database deleted between two sessions comes back from the server, as a new client, with a warning', async () => {
    const context = await harness.profile();
    const first = await openPage(context, { db: 'evict', board: 'e1' });
    await board(first, 'e1');
    await first.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      await weft.execute('addCard', { boardId: 'e1', cardId: 'synced', columnId: 'todo-e1', title: 'synced' })
        .confirmed;
      await weft.setOnline(false);
      await weft.execute('addCard', { boardId: 'e1', cardId: 'unsynced', columnId: 'todo-e1', title: 'local' }).durable;
    });
    expect((await first.evaluate(() => (window as unknown as W).weft.status())).storageLost).toBe(false);
    await first.close();
    // The app is closed: evict its database from a page of the same origin that runs no app.
    const bystander = await context.newPage();
    await bystander.goto(`${harness.url}/main.ts`);
    const deleted = await bystander.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const request = indexedDB.deleteDatabase('evict');
          request.onsuccess = () => resolve('deleted');
          request.onerror = () => resolve(String(request.error));
          request.onblocked = () => resolve('blocked');
        }),
    );
    expect(deleted).toBe('deleted');
    await bystander.close();

    const second = await openPage(context, { db: 'evict', board: 'e1' });
    const status = await second.evaluate(() => (window as unknown as W).weft.status());
    // The offline switch of the lost session was kept (it lives beside the database): sync on.
    await second.evaluate(() => (window as unknown as W).weft.setOnline(true));
    // (lastError may already say `network`: the offline switch of the lost session was kept.)
    expect(status).toMatchObject({ storageLost: true });
    await expect.poll(() => second.textContent('#status'), { timeout: 30_000 }).toMatch(/storageLost": true/);
    const cardIds = () =>
      second.evaluate(async () =>
        (await (window as unknown as W).weft.query({ table: 'cards' })).map((card) => card.cardId),
      );
    // The confirmed state comes back from the server; the unsynced card is lost with the database.
    await expect.poll(cardIds, { timeout: 30_000 }).toEqual(['synced']);
    await second.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      await weft.execute('renameCard', { boardId: 'e1', cardId: 'synced', title: 'renamed' }).confirmed;
    });
    // The server saw a new client: a second client id, starting again at seq 1.
    const { json } = await audit('board:e1');
    const clients = [...new Set(json.records.map((record) => record.clientId))];
    expect(clients).toHaveLength(2);
    expect(json.records.filter((record) => record.clientId === clients[1]).map((record) => record.seq)).toEqual([1]);
    await second.screenshot({ path: path.resolve('test-results', 'storage-evicted.png') });
  });

  it('S04: where IndexedDB refuses to open, the worker keeps commands in memory, flagged, and durable waits for the server', async () => {
    const context = await harness.profile();
    // Firefox's private mode refuses IndexedDB like this; the patch runs in the worker, first.
    await context.route(/\/worker\.ts/, async (route) => {
      const response = await route.fetch();
      const patch = `IDBFactory.prototype.open = function () { throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError'); };\n`;
      await route.fulfill({ response, body: patch + (await response.text()) });
    });
    const tab = await openPage(context, { db: 'private', board: 'p1' });
    const status = await tab.evaluate(() => (window as unknown as W).weft.status());
    expect(status).toMatchObject({ storage: 'memory', persisted: false, lastError: { code: 'not_persisted' } });
    const offline = await tab.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      await weft.setOnline(false);
      const order: string[] = [];
      const run = weft.execute('createBoard', { boardId: 'p1', title: 'in memory' });
      (window as unknown as { order: string[] }).order = order;
      (window as unknown as { run: unknown }).run = run;
      run.durable.then(() => order.push('durable'));
      run.confirmed.then(() => order.push('confirmed'));
      await run.applied;
      await new Promise((resolve) => setTimeout(resolve, 300)); // time enough for its memory write to (wrongly) count
      const boards = await weft.query({ table: 'boards' });
      return { order: [...order], boards: boards.length, pending: weft.status().pending };
    });
    expect(offline).toEqual({ order: [], boards: 1, pending: 1 });
    await tab.evaluate(() => (window as unknown as W).weft.setOnline(true));
    await tab.waitForFunction(() => (window as unknown as { order: string[] }).order.length === 2, undefined, {
      timeout: 30_000,
    });
    expect(await tab.evaluate(() => (window as unknown as { order: string[] }).order)).toEqual([
      'durable',
      'confirmed',
    ]);
    const { json } = await pull('board:p1');
    expect(json.events.map((event) => event.type)).toEqual(['boardCreated']);
    expect(await tab.evaluate(() => (window as unknown as W).weft.status().storage)).toBe('memory');
  });
});
