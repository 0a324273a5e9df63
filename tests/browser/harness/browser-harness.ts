import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../support/chromium.ts';
import { type RunningServer, startServer, tempDir } from '../../support/server-process.ts';
import { servePage } from './serve-page.ts';

/**
 * What every real-browser test of the client starts with: a real weft server on SQLite in a
 * temp folder, the Vite-served test pages, and fresh Chromium profiles (Debian's binary,
 * CONVENTIONS §16), all closed by `stop`.
 */
export async function startBrowserHarness(prefix: string) {
  const temp = tempDir(prefix);
  const server: RunningServer = await startServer(path.join(temp.dir, 'weft.db'));
  const page = await servePage(server.url);
  const contexts: BrowserContext[] = [];

  return {
    server,
    /** Where the test pages are served. */
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
    async stop(): Promise<void> {
      await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
      await page.close();
      await server.stop();
      temp.dispose();
    },
  };
}

export type BrowserHarness = Awaited<ReturnType<typeof startBrowserHarness>>;

/** A `startBrowserHarness(prefix)` for one test file: started in `beforeAll`, stopped in `afterAll`. */
export function browserHarnessForFile(prefix: string): BrowserHarness {
  return harnessForFile(() => startBrowserHarness(prefix));
}

/**
 * Starts a harness in `beforeAll` and stops it in `afterAll`. The returned object stands for
 * it: read its members inside hooks and tests, once it has started.
 */
export function harnessForFile<H extends { stop(): Promise<void> }>(start: () => Promise<H>): H {
  let current: H | undefined;
  beforeAll(async () => {
    current = await start();
  });
  afterAll(async () => {
    await current?.stop();
  });
  return new Proxy({} as H, {
    get(_, key) {
      if (!current) throw new Error('the browser harness has not started: use it inside a test');
      const value: unknown = Reflect.get(current, key);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
