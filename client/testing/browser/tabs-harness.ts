import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
// biome-ignore lint/style/noRestrictedImports: an end-to-end test against the real kanban server
import type { kanban } from '../../../demo/app.ts';
import type { AuditResponse, PullResponse, WireEvent } from '../../../shared/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../tests/support/chromium.ts';
import { api } from '../../../tests/support/http.ts';
import { type RunningServer, startServer, tempDir } from '../../../tests/support/server-process.ts';
import type { WeftClient } from '../../create-client.ts';
import { servePage } from './serve-page.ts';
import type { TabsPage } from './tabs-main.ts';

/** The globals of `tabs.html`, as the tests' `evaluate` callbacks see them. */
export type TabsWindow = Window & TabsPage & { weft: WeftClient<typeof kanban> } & Record<string, unknown>;

/**
 * What the multi-tab browser tests share: a real weft server on SQLite, the Vite-served
 * `tabs.html`, fresh Chromium profiles, and reads of the server's stream and audit log.
 */
export async function startTabsHarness(prefix: string) {
  const temp = tempDir(prefix);
  const server: RunningServer = await startServer(path.join(temp.dir, 'weft.db'));
  const page = await servePage(server.url);
  const contexts: BrowserContext[] = [];
  const reader = api(server.url, 'demo:alice');

  return {
    server,
    url: page.url,
    /** A fresh browser profile: one client per database name in it. */
    async profile(): Promise<BrowserContext> {
      const dir = mkdtempSync(path.join(temp.dir, 'chromium-'));
      const context = await chromium.launchPersistentContext(dir, {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: [...CHROMIUM_ARGS],
      });
      contexts.push(context);
      return context;
    },
    /** Opens `tabs.html` with `params` in `context`, without waiting for its client. */
    async start(context: BrowserContext, params: Record<string, string>): Promise<Page> {
      const tab = await context.newPage();
      tab.on('pageerror', (error) => console.error('page error:', error.message));
      await tab.goto(`${page.url}/tabs.html?${new URLSearchParams(params)}`, { waitUntil: 'commit' });
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
    async stop(): Promise<void> {
      await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
      await page.close();
      await server.stop();
      temp.dispose();
    },
  };
}

export type TabsHarness = Awaited<ReturnType<typeof startTabsHarness>>;

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
