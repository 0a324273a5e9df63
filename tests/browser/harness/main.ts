/**
 * The page the real-Chromium tests drive: one kanban client in a module worker, exposed as
 * `window.weft` (as the demo does). `?db=&user=&board=` pick the database, user and board.
 */

import { createClient, type WeftClient } from '../../../client/index.ts';
import { kanban } from '../../../demo/app.ts';

const params = new URLSearchParams(location.search);
const board = params.get('board') ?? 'b1';
const weft = await createClient(kanban, {
  url: location.origin, // the test's Vite server proxies /v1 to the weft server
  scopes: [`board:${board}`],
  auth: `demo:${params.get('user') ?? 'alice'}`,
  dbName: params.get('db') ?? 'weft-test',
  worker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
});

const statusView = document.getElementById('status') as HTMLElement;
const cardsView = document.getElementById('cards') as HTMLElement;
weft.onStatus((status) => {
  statusView.textContent = JSON.stringify(status, null, 1);
});
weft.subscribe({ table: 'cards', where: { boardId: board }, orderBy: 'rank' }, (cards) => {
  cardsView.replaceChildren(
    ...cards.map((card) =>
      Object.assign(document.createElement('li'), { textContent: `${card.columnId}: ${card.title}` }),
    ),
  );
});
// The demo page does the same (DESIGN §8); the tests script the page through it.
(window as unknown as { weft: WeftClient<typeof kanban> }).weft = weft;
