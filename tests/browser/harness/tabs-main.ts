/**
 * The page of the multi-tab tests (`client/tabs-*.browser.test.ts`): one kanban client in a
 * module worker, exposed as `window.weft`, with what those tests observe from outside.
 * `?db=&user=&board=` pick the database, user and board; `&barrier=NAME&n=N` holds
 * `createClient` until N tabs of that barrier are up, so they start together (a reload does not
 * wait again); `&observer=1`
 * opens no client and samples the Web Locks of `db` instead.
 */

import { createClient, type WeftClient } from '../../../client/index.ts';
import { createInlineClient } from '../../../client/worker-entry.ts';
import { kanban } from '../../../demo/app.ts';

export interface TabsPage {
  weft?: WeftClient<typeof kanban>;
  /** Error events the client's worker (or, inline, this page) raised: a reported `TabMessageError`, say. */
  workerErrors: string[];
  /** Observer: the most leader-lock holders seen at once, and how many samples were taken. */
  maxHolders: number;
  samples: number;
}

const params = new URLSearchParams(location.search);
const page = window as unknown as Window & TabsPage;
page.workerErrors = [];
page.maxHolders = 0;
page.samples = 0;
const db = params.get('db') ?? 'weft-test';
const status = document.getElementById('status') as HTMLElement;

if (params.get('observer') === '1') {
  const lock = `weft:${db}:leader`;
  const sample = async () => {
    const { held = [] } = await navigator.locks.query();
    page.maxHolders = Math.max(page.maxHolders, held.filter((info) => info.name === lock).length);
    page.samples++;
    setTimeout(sample, 2);
  };
  void sample();
  status.textContent = 'observing';
} else {
  window.addEventListener('error', (event) => {
    page.workerErrors.push(event.message);
  });
  // Only the first load meets the barrier: a reload of the tab starts at once.
  const barrier = params.get('barrier');
  if (barrier && sessionStorage.getItem('weft-barrier') !== barrier) {
    await meet(barrier, Number(params.get('n') ?? '1'));
    sessionStorage.setItem('weft-barrier', barrier);
  }
  const board = params.get('board') ?? 'b1';
  const options = {
    url: location.origin, // the test's Vite server proxies /v1 to the weft server
    scopes: [`board:${board}`],
    auth: `demo:${params.get('user') ?? 'alice'}`,
    dbName: db,
  };
  // `&inline=1`: the engine runs on this thread, so freezing the page freezes it too.
  page.weft =
    params.get('inline') === '1'
      ? await createInlineClient(kanban, options)
      : await createClient(kanban, {
          ...options,
          worker: () => {
            const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
            worker.addEventListener('error', (event) => {
              page.workerErrors.push(event.message);
              event.preventDefault();
            });
            return worker;
          },
        });
  page.weft.onStatus((now) => {
    status.textContent = JSON.stringify(now);
  });
}

/** Resolves once `n` tabs (this one included) have announced themselves on the barrier's channel. */
function meet(name: string, n: number): Promise<void> {
  const me = crypto.randomUUID();
  const seen = new Set<string>([me]);
  const channel = new BroadcastChannel(`barrier:${name}`);
  return new Promise((resolve) => {
    channel.onmessage = (event: MessageEvent<string>) => {
      seen.add(event.data);
      if (seen.size >= n) resolve();
    };
    // Keeps announcing: a tab that joins later must still see this one.
    const announce = () => channel.postMessage(me);
    announce();
    setInterval(announce, 20);
    if (seen.size >= n) resolve();
  });
}
