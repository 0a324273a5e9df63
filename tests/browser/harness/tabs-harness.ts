import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { WeftClient } from '../../../client/page/create-client.ts';
import type { kanban } from '../../../demo/app.ts';
import type { AuditResponse, PullResponse, WireEvent } from '../../../shared/index.ts';
import { api } from '../../support/http.ts';
import { harnessForFile, startBrowserHarness } from './browser-harness.ts';
import type { TabsPage } from './tabs-main.ts';

/** The globals of `tabs.html`, as the tests' `evaluate` callbacks see them. */
export type TabsWindow = Window & TabsPage & { weft: WeftClient<typeof kanban> } & Record<string, unknown>;

/**
 * What the multi-tab browser tests share: the browser harness (a real weft server on SQLite,
 * the Vite-served pages, fresh Chromium profiles), opening `tabs.html`, and reads of the
 * server's stream and audit log.
 */
export async function startTabsHarness(prefix: string) {
  const base = await startBrowserHarness(prefix);
  const reader = api(base.server.url, 'demo:alice');

  return {
    ...base,
    /** Opens `tabs.html` with `params` in `context`, without waiting for its client. */
    async start(context: BrowserContext, params: Record<string, string>): Promise<Page> {
      const tab = await context.newPage();
      tab.on('pageerror', (error) => console.error('page error:', error.message));
      await tab.goto(`${base.url}/tabs.html?${new URLSearchParams(params)}`, { waitUntil: 'commit' });
      return tab;
    },
    /** Opens `tabs.html` and waits for its client to open. */
    async open(context: BrowserContext, params: Record<string, string>): Promise<Page> {
      const tab = await this.start(context, params);
      await waitForClient(tab);
      return tab;
    },
    /** The scope's whole confirmed stream, as the server serves it. */
    async stream(scope: string): Promise<WireEvent[]> {
      const { json } = await reader.get<PullResponse>(`/v1/pull?scope=${encodeURIComponent(scope)}&after=0&limit=1000`);
      expect(json.more).toBe(false);
      return json.events;
    },
    async audit(scope: string): Promise<AuditResponse['records']> {
      const { json } = await reader.get<AuditResponse>(`/v1/audit?scope=${encodeURIComponent(scope)}&limit=1000`);
      expect(json.next).toBeNull();
      return json.records;
    },
  };
}

export type TabsHarness = Awaited<ReturnType<typeof startTabsHarness>>;

/** A `startTabsHarness(prefix)` for one test file: started in `beforeAll`, stopped in `afterAll`. */
export function tabsHarnessForFile(prefix: string): TabsHarness {
  return harnessForFile(() => startTabsHarness(prefix));
}

/** Waits until the page's `createClient` resolved: a boot that stalls fails here. */
export async function waitForClient(tab: Page): Promise<void> {
  await tab.waitForFunction(() => (window as unknown as TabsWindow).weft !== undefined, undefined, {
    timeout: 30_000,
  });
}

/**
 * The server's stream of `scope` is gap-free (seqs 1, 2, 3 …), every client's commands carry
 * seqs 1, 2, 3 … in the audit log, and no command was applied twice.
 */
export async function expectCleanLog(harness: TabsHarness, scope: string): Promise<WireEvent[]> {
  const events = await harness.stream(scope);
  expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
  const records = await harness.audit(scope);
  const byClient = new Map<string, number[]>();
  for (const record of records) byClient.set(record.clientId, [...(byClient.get(record.clientId) ?? []), record.seq]);
  for (const seqs of byClient.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  expect(new Set(records.map((record) => record.commandId)).size).toBe(records.length);
  return events;
}

/** A seeded PRNG (mulberry32): the runs' random choices replay from the printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a run: `TABS_SEED` to replay one, else a fresh one; printed either way. */
export function runSeed(name: string): number {
  const seed = process.env.TABS_SEED ? Number(process.env.TABS_SEED) : Math.floor(Math.random() * 0x7fffffff);
  console.log(`${name} seed ${seed} (replay with TABS_SEED=${seed})`);
  return seed;
}
