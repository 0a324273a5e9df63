import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { CHROMIUM_ARGS } from '../tests/support/chromium.ts';

/**
 * Support for the demo's end-to-end test: the server as `npm start` runs it (build, then serve)
 * in a child process, and Debian's Chromium driven by playwright-core (CONVENTIONS 16).
 */
const ROOT = path.resolve(import.meta.dirname, '..');

export interface DemoServer {
  readonly url: string;
  /** Stops the server (its whole process group) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Runs `npm start` on a free port with a fresh data folder; resolves once it listens. */
export async function startDemoServer(dataDir: string, port?: number): Promise<DemoServer> {
  const chosen = port ?? (await freePort());
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(chosen), WEFT_DATA: dataDir, WEFT_ADMIN_TOKEN: 'e2e-admin' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('weft: listening on')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${chosen}`,
    async stop() {
      killGroup(child);
      await exited;
    },
  };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** One browser profile (its own IndexedDB, service worker and localStorage) in a fresh temp folder. */
export async function launchBrowser(): Promise<Browser> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-e2e-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 720 },
    args: [...CHROMIUM_ARGS],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens `/?board=<id>` in a new tab and waits until its columns show. */
export async function openBoard(context: BrowserContext, url: string, boardId: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(`${url}/?board=${boardId}`);
  await page.getByTestId('column-doing').waitFor();
  return page;
}

/** Adds a card through the form and returns its id, read back from the page. */
export async function addCard(page: Page, columnId: string, title: string): Promise<string> {
  await page.getByTestId(`add-card-input-${columnId}`).fill(title);
  await page.getByTestId(`add-card-submit-${columnId}`).click();
  const card = page.getByTestId(`column-${columnId}`).locator(`[data-card-title="${title}"]`);
  await card.waitFor();
  return ((await card.getAttribute('data-testid')) ?? '').replace(/^card-/u, '');
}

/** The titles of a column's cards, top to bottom. */
export async function titlesIn(page: Page, columnId: string): Promise<string[]> {
  return page
    .getByTestId(`column-${columnId}`)
    .locator('.card')
    .evaluateAll((cards) => cards.map((card) => card.getAttribute('data-card-title') ?? ''));
}

/** Waits until the client is online with nothing pending. */
export async function waitInSync(page: Page): Promise<void> {
  await page.getByTestId('status-pending').filter({ hasText: /^0$/u }).waitFor();
  await page.locator('[data-testid="status-online"][data-online="true"]').waitFor();
  await page.locator('[data-testid="status-sync"][data-sync="in sync"]').waitFor();
}

export const screenshotPath = (name: string): string => path.join(ROOT, 'test-results', `demo-${name}.png`);
/**
 * Copies a test's screenshot over README's `docs/<name>` when asked (`WEFT_UPDATE_DOCS=1 npm test`),
 * so an ordinary test run leaves the working tree as it found it.
 */
export function refreshDocsScreenshot(from: string, name: string): void {
  if (process.env.WEFT_UPDATE_DOCS === '1') copyFileSync(from, path.join(ROOT, 'docs', name));
}

/** The demo as two people meet it: the server as `npm start` runs it, and Ann's and Bob's browsers. */
export interface TwoPeople {
  readonly server: DemoServer;
  readonly ann: Browser;
  readonly bob: Browser;
}

/**
 * `TwoPeople` for one test file, on a fresh data folder: started in `beforeAll`, closed in
 * `afterAll`. Read its members inside hooks and tests, once it has started.
 */
export function twoPeopleForFile(): TwoPeople {
  let dataDir = '';
  let server: DemoServer | undefined;
  let ann: Browser | undefined;
  let bob: Browser | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'weft-e2e-data-'));
    mkdirSync(path.dirname(screenshotPath('x')), { recursive: true });
    server = await startDemoServer(dataDir);
    [ann, bob] = await Promise.all([launchBrowser(), launchBrowser()]);
  });
  afterAll(async () => {
    await Promise.allSettled([ann?.close(), bob?.close()]);
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  const started = <T>(part: T | undefined): T => {
    if (part === undefined) throw new Error('the demo has not started: read it inside a hook or a test');
    return part;
  };
  return {
    get server() {
      return started(server);
    },
    get ann() {
      return started(ann);
    },
    get bob() {
      return started(bob);
    },
  };
}
