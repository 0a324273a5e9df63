import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { type TabsWindow, tabsHarnessForFile } from './harness/tabs-harness.ts';

/**
 * The tab protocol against bad neighbours and odd lifecycles, in real Chromium: malformed
 * messages on the tabs' channel, `close()` with calls in flight, and tabs that open with
 * different scopes than their leader.
 */

const harness = tabsHarnessForFile('weft-tabs-hardening-');

const board = (tab: Page, boardId: string, cards: string[] = []) =>
  tab.evaluate(
    async ({ boardId, cards }) => {
      const weft = (window as unknown as TabsWindow).weft;
      weft.execute('createBoard', { boardId, title: boardId });
      weft.execute('addColumn', { boardId, columnId: `${boardId}-todo`, title: 'To do' });
      const runs = cards.map((cardId) =>
        weft.execute('addCard', { boardId, cardId, columnId: `${boardId}-todo`, title: cardId }),
      );
      await Promise.all(runs.map((run) => run.confirmed));
    },
    { boardId, cards },
  );

/** Adds card `cardId` to the board's `todo` column from `tab`, and waits until the server confirmed it. */
const addCard = (tab: Page, boardId: string, cardId: string, title = cardId) =>
  tab.evaluate(
    async ({ boardId, cardId, title }) => {
      await (window as unknown as TabsWindow).weft.execute('addCard', {
        boardId,
        cardId,
        columnId: `${boardId}-todo`,
        title,
      }).confirmed;
    },
    { boardId, cardId, title },
  );

/** Polls `predicate` in the page until it holds (an async predicate, which `waitForFunction` would not await). */
async function until(tab: Page, predicate: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await tab.evaluate(predicate))) {
    if (Date.now() > deadline) throw new Error('condition not reached in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const cardIds = (tab: Page) =>
  tab.evaluate(async () =>
    (await (window as unknown as TabsWindow).weft.query({ table: 'cards', orderBy: 'cardId' })).map((c) => c.cardId),
  );

describe('tab protocol hardening (real Chromium)', () => {
  it('ignores and reports malformed tab messages, and a replayed command runs once', async () => {
    const context = await harness.profile();
    const params = { db: 'garbage', board: 'g1' };
    const leader = await harness.open(context, params);
    const follower = await harness.open(context, params);
    expect(await leader.evaluate(() => (window as unknown as TabsWindow).weft.status().leader)).toBe(true);
    await board(leader, 'g1');

    // A script of the origin listens on the channel and keeps the follower's submit call.
    await follower.evaluate(() => {
      const page = window as unknown as TabsWindow;
      const sniffed: unknown[] = [];
      page.sniffed = sniffed;
      new BroadcastChannel('weft:garbage').onmessage = (event) => sniffed.push(event.data);
    });
    await addCard(follower, 'g1', 'once');
    const garbage = await follower.evaluate(() => {
      const page = window as unknown as TabsWindow;
      type Submit = { kind: string; callId: number; id: string; args: unknown };
      type Envelope = { kind: string; from: string; to: string; items: Submit[] };
      const envelope = (page.sniffed as Envelope[]).find(
        (m) => m.kind === 'toLeader' && m.items.some((item) => item.kind === 'submit'),
      );
      if (!envelope) throw new Error('no submit was sniffed');
      const to = envelope.to;
      const submit = envelope.items.find((item) => item.kind === 'submit') as Submit;
      const call = { ...envelope, items: [submit] };
      const bad: unknown[] = [
        null,
        42,
        'hello',
        [],
        {},
        { kind: 'nope' },
        { kind: 'toLeader' },
        { kind: 'toLeader', from: 'evil', to, items: [{ kind: 'submit' }] },
        {
          kind: 'toLeader',
          from: 'evil',
          to,
          items: [{ kind: 'call', callId: 1, call: { method: 'drop', table: 'cards' } }],
        },
        // One good item does not carry a bad one: the whole message is ignored.
        {
          kind: 'toLeader',
          from: 'evil',
          to,
          items: [submit, { kind: 'submit', callId: -1, id: 'x', name: 'addCard' }],
        },
        { kind: 'leader', leader: 5, status: {} },
        { kind: 'leader', leader: 'fake', status: { online: 'yes' } },
        { kind: 'fromLeader', leader: 'x', to: 'x', items: [{ kind: 'rows', subId: 1, rows: 'no' }] },
        { kind: 'fromLeader', leader: 'x', to: 'x', items: [{ kind: 'update', update: { id: 'x', stage: 'weird' } }] },
        { kind: 'hello', from: 'x'.repeat(1000) },
        { kind: 'hello', from: 'evil', scopes: 'board:zzz' },
        { kind: 'toLeader', from: 'evil', to, items: [{ kind: 'subscribe', subId: 1, query: { table: 5 } }] },
      ];
      const channel = new BroadcastChannel('weft:garbage');
      for (const message of bad) channel.postMessage(message);
      // The same submit again, twice, and once with other args under the same id.
      channel.postMessage(call);
      channel.postMessage(call);
      channel.postMessage({
        ...call,
        items: [{ ...submit, callId: 999_999, args: { ...(submit.args as object), title: 'twice' } }],
      });
      return bad.length;
    });
    const errors = (tab: Page) => tab.evaluate(() => (window as unknown as TabsWindow).workerErrors);
    // Both tabs' engines saw every bad message, reported each one, and went on.
    for (const tab of [leader, follower]) {
      await tab.waitForFunction((count) => (window as unknown as TabsWindow).workerErrors.length >= count, garbage, {
        timeout: 30_000,
      });
      const seen = await errors(tab);
      expect(seen).toHaveLength(garbage);
      for (const message of seen) expect(message).toMatch(/TabMessageError: weft: ignored a malformed tab message/);
    }
    for (const [tab, cardId] of [
      [follower, 'after-follower'],
      [leader, 'after-leader'],
    ] as const) {
      await addCard(tab, 'g1', cardId);
    }
    const events = await harness.stream('board:g1');
    const added = events.filter((event) => event.type === 'cardAdded');
    expect(added.map((event) => (event.data as { cardId: string; title: string }).title)).toEqual([
      'once',
      'after-follower',
      'after-leader',
    ]);
    expect(await cardIds(follower)).toEqual(['after-follower', 'after-leader', 'once']);
  });

  it('close() settles every call still in flight with a typed closed error, and refuses later calls', async () => {
    const context = await harness.profile();
    // The leader hosts its engine on its page's thread, so a frozen page answers nothing.
    const leader = await harness.open(context, { db: 'closing', board: 'c1', inline: '1' });
    const follower = await harness.open(context, { db: 'closing', board: 'c1' });
    await board(leader, 'c1', ['first']);

    // The leader tab's own client, offline: its command can become durable but never confirmed.
    const own = await leader.evaluate(async () => {
      const weft = (window as unknown as TabsWindow).weft;
      await weft.setOnline(false);
      const run = weft.execute('addCard', { boardId: 'c1', cardId: 'offline', columnId: 'c1-todo', title: 'offline' });
      await run.applied;
      const query = weft.query({ table: 'cards' });
      await weft.close();
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => 'resolved',
          (e: Error & { code?: string }) => `${e.name}:${e.code}`,
        );
      const thrown = (() => {
        try {
          weft.subscribe({ table: 'cards' }, () => undefined);
          return 'no throw';
        } catch (e) {
          return `${(e as Error).name}:${(e as { code?: string }).code}`;
        }
      })();
      const after = weft.execute('addCard', { boardId: 'c1', cardId: 'late', columnId: 'c1-todo', title: 'late' });
      return {
        durable: await outcome(run.durable),
        confirmed: await outcome(run.confirmed),
        query: await outcome(query),
        laterApplied: await outcome(after.applied),
        laterConfirmed: await outcome(after.confirmed),
        laterQuery: await outcome(weft.query({ table: 'cards' })),
        laterRejections: await outcome(weft.rejections()),
        laterSubscribe: thrown,
      };
    });
    expect(own).toEqual({
      durable: 'resolved', // close() committed it first
      confirmed: 'CommandError:closed',
      query: 'resolved',
      laterApplied: 'CommandError:closed',
      laterConfirmed: 'CommandError:closed',
      laterQuery: 'ClosedError:closed',
      laterRejections: 'ClosedError:closed',
      laterSubscribe: 'ClosedError:closed',
    });

    // The follower took over; then the inline tab leads again and hangs while the follower waits on it.
    await follower.waitForFunction(() => (window as unknown as TabsWindow).weft.status().leader);
    await leader.reload({ waitUntil: 'commit' });
    await leader.waitForFunction(() => (window as unknown as TabsWindow).weft !== undefined);
    await follower.reload({ waitUntil: 'commit' }); // the inline tab leads now, the reloaded one follows
    await follower.waitForFunction(() => (window as unknown as TabsWindow).weft !== undefined);
    expect(await leader.evaluate(() => (window as unknown as TabsWindow).weft.status().leader)).toBe(true);
    // The follower listens before the leader says it is stuck, or the one message could be missed.
    await follower.evaluate(() => {
      const page = window as unknown as { hung?: Promise<void> };
      page.hung = new Promise<void>((resolve) => {
        new BroadcastChannel('hung').onmessage = () => resolve();
      });
    });
    const hung = follower.evaluate(() => (window as unknown as { hung?: Promise<void> }).hung);
    // A leader whose thread is stuck (a long task) answers nothing; it says so first.
    const stuck = leader
      .evaluate(() => {
        new BroadcastChannel('hung').postMessage('stuck');
        const end = Date.now() + 8_000;
        while (Date.now() < end) {
          // busy
        }
      })
      .catch(() => undefined);
    await hung;
    const stranded = await follower.evaluate(async () => {
      const weft = (window as unknown as TabsWindow).weft;
      const run = weft.execute('addCard', { boardId: 'c1', cardId: 'stranded', columnId: 'c1-todo', title: 'x' });
      const query = weft.query({ table: 'cards' });
      const rejections = weft.rejections();
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => 'resolved',
          (e: Error & { code?: string }) => `${e.name}:${e.code}`,
        );
      await weft.close(); // nothing can answer these now: close() settles them anyway
      return {
        applied: await outcome(run.applied),
        durable: await outcome(run.durable),
        confirmed: await outcome(run.confirmed),
        query: await outcome(query),
        rejections: await outcome(rejections),
      };
    });
    expect(stranded).toEqual({
      applied: 'CommandError:closed',
      durable: 'CommandError:closed',
      confirmed: 'CommandError:closed',
      query: 'ClosedError:closed',
      rejections: 'ClosedError:closed',
    });
    await stuck;
  });

  it('serves a tab that opens with other scopes than its leader: it syncs them, and reads only its own', async () => {
    const context = await harness.profile();
    const a = await harness.open(context, { db: 'scopes', board: 'sa' });
    const b = await harness.open(context, { db: 'scopes', board: 'sb' });
    const leaderOf = (tab: Page) => tab.evaluate(() => (window as unknown as TabsWindow).weft.status().leader);
    expect([await leaderOf(a), await leaderOf(b)]).toEqual([true, false]);
    await board(b, 'sb', ['sb-1']);
    await board(a, 'sa', ['sa-1']);
    expect(await cardIds(a)).toEqual(['sa-1']);
    expect(await cardIds(b)).toEqual(['sb-1']);
    expect((await harness.stream('board:sb')).map((event) => event.type)).toEqual([
      'boardCreated',
      'columnAdded',
      'cardAdded',
    ]);

    // Another user's card on sb reaches b live, through the leader's sync of b's scope.
    await b.evaluate(() => {
      const page = window as unknown as TabsWindow;
      page.seen = [];
      page.weft.subscribe({ table: 'cards', orderBy: 'cardId' }, (cards) =>
        (page.seen as string[][]).push(cards.map((card) => card.cardId)),
      );
    });
    const bob = await harness.open(await harness.profile(), { db: 'bob', board: 'sb', user: 'bob' });
    await until(
      bob,
      async () => (await (window as unknown as TabsWindow).weft.query({ table: 'columns' })).length === 1,
    );
    await addCard(bob, 'sb', 'sb-bob', 'from bob');
    await b.waitForFunction(
      () => ((window as unknown as TabsWindow).seen as string[][]).at(-1)?.includes('sb-bob'),
      undefined,
      {
        timeout: 30_000,
      },
    );
    expect(await b.evaluate(() => ((window as unknown as TabsWindow).seen as string[][]).at(-1))).toEqual([
      'sb-1',
      'sb-bob',
    ]);
    expect(await cardIds(a)).toEqual(['sa-1']);

    // The leader leaves: b leads with its own scopes, and a new tab on sa is served again.
    await a.close();
    await b.waitForFunction(() => (window as unknown as TabsWindow).weft.status().leader);
    const c = await harness.open(context, { db: 'scopes', board: 'sa' });
    expect(await leaderOf(c)).toBe(false);
    expect(await cardIds(c)).toEqual(['sa-1']);
    await addCard(c, 'sa', 'sa-2');
    expect(await cardIds(c)).toEqual(['sa-1', 'sa-2']);
    expect(await cardIds(b)).toEqual(['sb-1', 'sb-bob']);
    const sa = await harness.stream('board:sa');
    expect(sa.filter((event) => event.type === 'cardAdded')).toHaveLength(2);
  });
});
