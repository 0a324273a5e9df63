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
 * TEST-PLAN S05 multi-tab-leader-election, in real Chromium: 2–5 tabs of one client start
 * together on a barrier and all issue commands, while the leader is killed (its tab closed),
 * reloaded or frozen (CDP page lifecycle) every round. An observer page of the same origin
 * samples the Web Locks all along.
 */

const harness = tabsHarnessForFile('weft-tabs-failover-');

const ROUNDS = 6;
const KINDS = ['kill', 'reload', 'freeze'] as const;
const T0 = Date.now();
const trace = (what: string) => process.env.TABS_TRACE && console.log(`${Date.now() - T0} ms: ${what}`);
const BOARD = 's05';
const PARAMS = { db: 's05', board: BOARD };

interface Slot {
  tab: Page;
  /** Names this incarnation of the tab: its card ids are `<label>-<n>`. */
  label: string;
}

/** Starts a loop in the page that adds a card every 150 ms, reporting each one out once durable. */
function startIssuing(tab: Page, label: string): Promise<void> {
  return tab.evaluate(
    ({ label, board }) => {
      const page = window as unknown as TabsWindow;
      let n = 0;
      const tick = () => {
        if (page.stopIssuing === true) return;
        const cardId = `${label}-${n++}`;
        page.weft.execute('addCard', { boardId: board, cardId, columnId: `${board}-todo`, title: cardId }).durable.then(
          () => (page.weftDurable as (id: string) => void)(cardId),
          () => undefined,
        );
        setTimeout(tick, 150);
      };
      tick();
    },
    { label, board: BOARD },
  );
}

const isLeader = (tab: Page) => tab.evaluate(() => (window as unknown as TabsWindow).weft.status().leader);

/** Polls until exactly one tab claims to lead; returns its index. */
async function soleLeader(slots: Slot[]): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const claims = await Promise.all(slots.map((slot) => isLeader(slot.tab)));
    const leaders = claims.flatMap((claim, i) => (claim ? [i] : []));
    if (leaders.length === 1) return leaders[0] as number;
    if (Date.now() > deadline) throw new Error(`no sole leader: ${JSON.stringify(claims)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls until every label in `labels` has at least `count` more durable cards than at the start. */
async function progress(durable: Map<string, number>, labels: string[], count: number): Promise<void> {
  const start = new Map(labels.map((label) => [label, durable.get(label) ?? 0]));
  const deadline = Date.now() + 30_000;
  while (labels.some((label) => (durable.get(label) ?? 0) < (start.get(label) ?? 0) + count)) {
    if (Date.now() > deadline) throw new Error(`no progress for ${labels.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('leader election under kills, reloads and freezes (real Chromium)', () => {
  it('S05: one lock holder at a time, no boot stall, failover, and every command applied once', async () => {
    const seed = runSeed('S05 multi-tab-leader-election');
    const random = seededRandom(seed);
    const n = 2 + Math.floor(random() * 4);
    const context: BrowserContext = await harness.profile();
    const durableIds = new Set<string>();
    const durable = new Map<string, number>(); // label → cards durable
    await context.exposeFunction('weftDurable', (cardId: string) => {
      durableIds.add(cardId);
      const label = cardId.slice(0, cardId.lastIndexOf('-'));
      durable.set(label, (durable.get(label) ?? 0) + 1);
    });
    const observer = await context.newPage();
    await observer.goto(`${harness.url}/tabs.html?observer=1&db=${PARAMS.db}`);

    // All tabs boot at once, racing for the lock; every createClient must resolve.
    // Each tab hosts its engine in a worker or, seeded, on its page's thread (where a freeze stops it).
    const hosting = () => (random() < 0.5 ? { ...PARAMS, inline: '1' } : PARAMS);
    const tabs = await Promise.all(
      Array.from({ length: n }, () => harness.start(context, { ...hosting(), barrier: 's05', n: String(n) })),
    );
    trace(`${n} tabs started`);
    await Promise.all(tabs.map(waitForClient));
    trace('all booted');
    let generation = 0;
    const slots: Slot[] = tabs.map((tab) => ({ tab, label: `g${generation++}` }));
    const first = await soleLeader(slots);
    await (slots[first] as Slot).tab.evaluate(async (board) => {
      const weft = (window as unknown as TabsWindow).weft;
      weft.execute('createBoard', { boardId: board, title: board });
      await weft.execute('addColumn', { boardId: board, columnId: `${board}-todo`, title: 'To do' }).confirmed;
    }, BOARD);
    for (const slot of slots) await startIssuing(slot.tab, slot.label);
    await progress(
      durable,
      slots.map((slot) => slot.label),
      3,
    );

    // Every kind of fault at least once, in a seeded order, then seeded picks.
    const plan: string[] = [...KINDS];
    while (plan.length < ROUNDS) plan.push(KINDS[Math.floor(random() * KINDS.length)] as string);
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [plan[i], plan[j]] = [plan[j] as string, plan[i] as string];
    }
    const actions: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const index = await soleLeader(slots);
      const slot = slots[index] as Slot;
      const action = plan[round] as (typeof KINDS)[number];
      actions.push(`${action}(${n})`);
      trace(`round ${round}: ${action} leader ${index} (${slot.tab.url().includes('inline') ? 'inline' : 'worker'})`);
      const others = slots.filter((_, i) => i !== index);
      if (action === 'kill') {
        await slot.tab.close();
        slots.splice(index, 1);
        trace('closed');
        // Leadership moves to a tab that was already open, and the followers' commands go on.
        const next = await soleLeader(slots);
        expect(slots[next]).toBeDefined();
        await progress(
          durable,
          others.map((other) => other.label),
          3,
        );
        trace('others progressed');
        const tab = await harness.open(context, hosting());
        trace('reopened');
        const fresh = { tab, label: `g${generation++}` };
        slots.splice(index, 0, fresh);
        await startIssuing(tab, fresh.label);
      } else if (action === 'reload') {
        await slot.tab.reload({ waitUntil: 'commit' });
        await waitForClient(slot.tab);
        slot.label = `g${generation++}`;
        await startIssuing(slot.tab, slot.label);
      } else {
        const cdp = await slot.tab.context().newCDPSession(slot.tab);
        await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
        // While it is frozen the followers go on issuing; their commands wait for a leader.
        const before = durableIds.size;
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(random() * 700)));
        trace(`frozen: ${durableIds.size - before} commands made durable meanwhile`);
        await cdp.send('Page.setWebLifecycleState', { state: 'active' });
        await cdp.detach();
      }
      trace('action done');
      await soleLeader(slots);
      trace('sole leader');
      await progress(
        durable,
        slots.map((s) => s.label),
        3,
      );
      trace('progress');
    }
    console.log(`S05: ${n} tabs, ${actions.join(' ')}`);

    for (const slot of slots)
      await slot.tab.evaluate(() => {
        (window as unknown as TabsWindow).stopIssuing = true;
      });
    const leader = slots[await soleLeader(slots)] as Slot;
    await leader.tab.waitForFunction(
      () => {
        const status = (window as unknown as TabsWindow).weft.status();
        return status.pending === 0 && status.online;
      },
      undefined,
      { timeout: 30_000 },
    );
    const { maxHolders, samples } = await observer.evaluate(() => {
      const page = window as unknown as TabsWindow;
      return { maxHolders: page.maxHolders, samples: page.samples };
    });
    expect(samples).toBeGreaterThan(100);
    expect(maxHolders, `at most one holder of the leader lock, seed ${seed}`).toBe(1);

    const events = await expectCleanLog(harness, `board:${BOARD}`);
    const added = events
      .filter((event) => event.type === 'cardAdded')
      .map((event) => (event.data as { cardId: string }).cardId);
    expect(new Set(added).size, `no command applied twice, seed ${seed}`).toBe(added.length);
    expect(
      [...durableIds].filter((id) => !added.includes(id)),
      `acknowledged, then missing; seed ${seed}`,
    ).toEqual([]);
    // One client: every tab's commands share its clientId and its one gap-free seq counter.
    expect(new Set(events.map((event) => event.clientId)).size).toBe(1);
    const everyTab = await Promise.all(
      slots.map((slot) =>
        slot.tab.evaluate(async () => (await (window as unknown as TabsWindow).weft.query({ table: 'cards' })).length),
      ),
    );
    expect(everyTab).toEqual(slots.map(() => added.length));
  }, 120_000);
});
