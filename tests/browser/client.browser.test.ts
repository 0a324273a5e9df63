import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WeftClient } from '../../client/page/create-client.ts';
import type { kanban } from '../../demo/app.ts';
import type { AuditResponse, PullResponse } from '../../shared/index.ts';
import { api } from '../support/http.ts';
import { browserHarnessForFile } from './harness/browser-harness.ts';

/** The test page's globals: its client, and what a test's callbacks collected. */
type W = Window & { weft: WeftClient<typeof kanban>; seen: string[][]; rejected: string[] };

const ARTIFACTS = path.resolve('test-results');

beforeAll(() => {
  mkdirSync(ARTIFACTS, { recursive: true });
});
const harness = browserHarnessForFile('weft-client-browser-');

/** Opens the test page in `context` and waits for its client to open. */
async function openPage(context: BrowserContext, params: Record<string, string>): Promise<Page> {
  const tab = await context.newPage();
  tab.on('pageerror', (error) => console.error('page error:', error));
  await tab.goto(`${harness.url}/?${new URLSearchParams(params)}`);
  await waitForClient(tab);
  return tab;
}

async function waitForClient(tab: Page): Promise<void> {
  await tab.waitForFunction(() => (window as unknown as W).weft !== undefined, undefined, { timeout: 30_000 });
}

const pull = (scope: string) =>
  api(harness.server.url, 'demo:alice').get<PullResponse>(
    `/v1/pull?scope=${encodeURIComponent(scope)}&after=0&limit=1000`,
  );
const audit = (scope: string) =>
  api(harness.server.url, 'demo:alice').get<AuditResponse>(`/v1/audit?scope=${encodeURIComponent(scope)}&limit=1000`);

/** Every client's commands reached the server with seqs 1, 2, 3 … (no gap, none reused). */
async function expectGapFreeSeqs(scope: string): Promise<void> {
  const { json } = await audit(scope);
  const byClient = new Map<string, number[]>();
  for (const record of json.records)
    byClient.set(record.clientId, [...(byClient.get(record.clientId) ?? []), record.seq]);
  for (const seqs of byClient.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  expect(new Set(json.records.map((record) => record.commandId)).size).toBe(json.records.length);
}

describe('createClient in real Chromium (worker, IndexedDB, Web Locks)', () => {
  it('executes commands in the worker and the server confirms them', async () => {
    const context = await harness.profile();
    const tab = await openPage(context, { db: 'basic', board: 'b1' });
    const result = await tab.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      const board = weft.execute('createBoard', { boardId: 'b1', title: 'Board one' });
      await board.applied;
      weft.execute('addColumn', { boardId: 'b1', columnId: 'todo', title: 'To do' });
      const card = weft.execute('addCard', { boardId: 'b1', cardId: 'c1', columnId: 'todo', title: 'Hello' });
      await card.applied;
      const cards = await weft.query({ table: 'cards', where: { columnId: 'todo' } });
      await card.durable;
      await card.confirmed;
      const unknown = await weft
        .execute('nope' as never, {} as never)
        .applied.catch((e: Error & { code: string }) => [e.code, e.message]);
      const invalid = await weft
        .execute('addCard', { boardId: 'b1', cardId: 'c2', columnId: 'todo', title: '' })
        .confirmed.catch((e: Error & { code: string }) => [e.code, e.message]);
      const duplicate = await weft
        .execute('addCard', { boardId: 'b1', cardId: 'c1', columnId: 'todo', title: 'again' })
        .confirmed.catch((e: Error & { name: string; code: string }) => [e.name, e.code]);
      const badQuery = await weft.query({ table: 'nope' } as never).catch((e: Error) => e.message);
      return { cards, status: weft.status(), unknown, invalid, duplicate, badQuery };
    });
    expect(result.cards).toEqual([
      { cardId: 'c1', boardId: 'b1', columnId: 'todo', title: 'Hello', rank: expect.any(String) },
    ]);
    expect(result.status).toMatchObject({ leader: true, online: true });
    expect((result.unknown as string[])[0]).toBe('unknown_command');
    expect((result.invalid as string[])[0]).toBe('bad_request');
    expect(result.duplicate).toEqual(['CommandError', 'ALREADY_EXISTS']);
    expect(result.badQuery).toMatch(/bad query.*table/);
    const { json } = await pull('board:b1');
    expect(json.events.map((event) => event.type)).toEqual(['boardCreated', 'columnAdded', 'cardAdded']);
    await tab.screenshot({ path: path.join(ARTIFACTS, 'client-basic.png') });
  });

  it('keeps every durable command across a reload, and sends it once back online', async () => {
    const context = await harness.profile();
    const tab = await openPage(context, { db: 'reload', board: 'b2' });
    await tab.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      await weft.setOnline(false);
      const runs = [
        weft.execute('createBoard', { boardId: 'b2', title: 'Offline board' }),
        weft.execute('addColumn', { boardId: 'b2', columnId: 'b2-todo', title: 'To do' }),
        weft.execute('addCard', { boardId: 'b2', cardId: 'b2-c1', columnId: 'b2-todo', title: 'Written offline' }),
      ];
      await Promise.all(runs.map((run) => run.durable));
    });
    expect((await pull('board:b2')).json.events).toEqual([]);
    await tab.reload();
    await waitForClient(tab);
    const reloaded = await tab.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      await new Promise((resolve) => setTimeout(resolve, 300)); // time enough to (wrongly) push
      return { status: weft.status(), cards: await weft.query({ table: 'cards' }) };
    });
    expect(reloaded.status).toMatchObject({ pending: 3, leader: true });
    expect(reloaded.cards.map((card) => card.title)).toEqual(['Written offline']);
    expect((await pull('board:b2')).json.events).toEqual([]);
    await tab.screenshot({ path: path.join(ARTIFACTS, 'client-reload-offline.png') });
    await tab.evaluate(async () => {
      await (window as unknown as W).weft.setOnline(true);
    });
    await tab.waitForFunction(
      () => (window as unknown as W).weft.status().pending === 0 && (window as unknown as W).weft.status().online,
    );
    const { json } = await pull('board:b2');
    expect(json.events.map((event) => event.type)).toEqual(['boardCreated', 'columnAdded', 'cardAdded']);
    await expectGapFreeSeqs('board:b2');
  });

  it('shares one engine between tabs, and a second tab takes over when the leader closes', async () => {
    const context = await harness.profile();
    const first = await openPage(context, { db: 'tabs', board: 'b3' });
    const second = await openPage(context, { db: 'tabs', board: 'b3' });
    expect(await first.evaluate(() => (window as unknown as W).weft.status().leader)).toBe(true);
    expect(await second.evaluate(() => (window as unknown as W).weft.status().leader)).toBe(false);
    await first.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      weft.execute('createBoard', { boardId: 'b3', title: 'Tabs' });
      await weft.execute('addColumn', { boardId: 'b3', columnId: 'b3-todo', title: 'To do' }).applied;
    });
    const watch = (tab: Page) =>
      tab.evaluate(() => {
        const seen: string[][] = [];
        (window as unknown as W).seen = seen;
        (window as unknown as W).weft.subscribe(
          { table: 'cards', where: { boardId: 'b3' }, orderBy: 'rank' },
          (cards) => seen.push(cards.map((c) => c.cardId)),
        );
      });
    const seen = (tab: Page) => tab.evaluate(() => (window as unknown as W).seen.at(-1) ?? []);
    await watch(first);
    await watch(second);
    const add = (tab: Page, cardId: string) =>
      tab.evaluate(async (cardId) => {
        await (window as unknown as W).weft.execute('addCard', {
          boardId: 'b3',
          cardId,
          columnId: 'b3-todo',
          title: cardId,
        }).applied;
      }, cardId);
    await add(first, 'from-first');
    await second.waitForFunction(() => (window as unknown as W).seen.at(-1)?.includes('from-first'));
    await add(second, 'from-second');
    await first.waitForFunction(() => (window as unknown as W).seen.at(-1)?.includes('from-second'));
    expect(await seen(first)).toEqual(['from-first', 'from-second']);
    expect(await seen(second)).toEqual(['from-first', 'from-second']);
    await second.screenshot({ path: path.join(ARTIFACTS, 'client-two-tabs.png') });

    // The follower's command is in flight as the leader's tab closes.
    const offline = second.evaluate(async () => {
      const run = (window as unknown as W).weft.execute('addCard', {
        boardId: 'b3',
        cardId: 'during-handover',
        columnId: 'b3-todo',
        title: 'during handover',
      });
      await run.applied;
      await run.confirmed;
    });
    await first.close();
    await offline;
    await second.waitForFunction(() => (window as unknown as W).weft.status().leader);
    await add(second, 'after-handover');
    await second.waitForFunction(() => (window as unknown as W).weft.status().pending === 0);
    expect(await seen(second)).toEqual(['from-first', 'from-second', 'during-handover', 'after-handover']);
    const third = await openPage(context, { db: 'tabs', board: 'b3' });
    expect(await third.evaluate(() => (window as unknown as W).weft.status().leader)).toBe(false);
    const cards = await third.evaluate(() =>
      (window as unknown as W).weft.query({ table: 'cards', where: { boardId: 'b3' }, orderBy: 'rank' }),
    );
    expect(cards.map((card) => card.cardId)).toEqual([
      'from-first',
      'from-second',
      'during-handover',
      'after-handover',
    ]);
    const { json } = await pull('board:b3');
    expect(json.events.filter((event) => event.type === 'cardAdded')).toHaveLength(4);
    await expectGapFreeSeqs('board:b3');
    await second.screenshot({ path: path.join(ARTIFACTS, 'client-after-handover.png') });
  });

  it('converges two offline browsers through the server, one losing a WIP conflict', async () => {
    const [alice, bob] = await Promise.all([harness.profile(), harness.profile()]);
    const a = await openPage(alice, { db: 'board', board: 'b4', user: 'alice' });
    const b = await openPage(bob, { db: 'board', board: 'b4', user: 'bob' });
    await a.evaluate(async () => {
      const weft = (window as unknown as W).weft;
      weft.execute('createBoard', { boardId: 'b4', title: 'Shared' });
      weft.execute('addColumn', { boardId: 'b4', columnId: 'todo4', title: 'To do' });
      weft.execute('addColumn', { boardId: 'b4', columnId: 'doing4', title: 'Doing', wipLimit: 1 });
      await weft.execute('addCard', { boardId: 'b4', cardId: 'shared', columnId: 'todo4', title: 'Shared' }).confirmed;
    });
    await b.waitForFunction(async () => (await (window as unknown as W).weft.query({ table: 'columns' })).length === 2);
    await Promise.all([a, b].map((tab) => tab.evaluate(() => (window as unknown as W).weft.setOnline(false))));
    const act = (tab: Page, who: string) =>
      tab.evaluate(async (who) => {
        const weft = (window as unknown as W).weft;
        const rejected: string[] = [];
        weft.onRejected((rejection) => rejected.push(rejection.code));
        (window as unknown as W).rejected = rejected;
        await weft.execute('addCard', { boardId: 'b4', cardId: `${who}-card`, columnId: 'doing4', title: who }).durable;
        await weft.execute('renameCard', { boardId: 'b4', cardId: 'shared', title: `renamed by ${who}` }).durable;
        return weft.status().pending;
      }, who);
    expect(await act(a, 'alice')).toBe(2);
    expect(await act(b, 'bob')).toBe(2);
    await a.evaluate(() => (window as unknown as W).weft.setOnline(true));
    await a.waitForFunction(() => (window as unknown as W).weft.status().pending === 0);
    await b.evaluate(() => (window as unknown as W).weft.setOnline(true));
    await b.waitForFunction(() => (window as unknown as W).weft.status().pending === 0);
    const state = (tab: Page) =>
      tab.evaluate(async () => ({
        cards: await (window as unknown as W).weft.query({ table: 'cards', where: { boardId: 'b4' }, orderBy: 'rank' }),
        columns: await (window as unknown as W).weft.query({ table: 'columns' }),
      }));
    await b.waitForFunction(async () =>
      (await (window as unknown as W).weft.query({ table: 'cards' })).some((card) => card.title === 'renamed by bob'),
    );
    await a.waitForFunction(async () =>
      (await (window as unknown as W).weft.query({ table: 'cards' })).some((card) => card.title === 'renamed by bob'),
    );
    const [stateA, stateB] = await Promise.all([state(a), state(b)]);
    expect(stateA).toEqual(stateB);
    expect(stateA.cards.map((card) => card.cardId).sort()).toEqual(['alice-card', 'shared']);
    expect(await b.evaluate(() => (window as unknown as W).rejected)).toEqual(['WIP_LIMIT']);
    const inbox = await b.evaluate(() => (window as unknown as W).weft.rejections());
    expect(inbox.map((rejection) => [rejection.name, rejection.code])).toEqual([['addCard', 'WIP_LIMIT']]);
    await Promise.all([
      a.screenshot({ path: path.join(ARTIFACTS, 'client-converged-alice.png') }),
      b.screenshot({ path: path.join(ARTIFACTS, 'client-converged-bob.png') }),
    ]);
    await expectGapFreeSeqs('board:b4');
  });
});
