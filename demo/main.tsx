import { createRoot } from 'react-dom/client';
import { mountDevtools } from '../client/devtools/index.ts';
import { createClient } from '../client/index.ts';
import { boardScope, kanban } from './app.ts';
import {
  boardIdFrom,
  dbNameFor,
  ensureBoard,
  httpAuditFetcher,
  loadUserName,
  onlineKey,
  saveUserName,
  tokenFor,
} from './session.ts';
import { App } from './ui/App.tsx';

/**
 * The demo page: opens the board of `/?board=<id>` (creating it when missing) as the user kept
 * in localStorage, exposes the client as `window.weft`, and registers the service worker that
 * lets the page load with no network.
 */
const root = document.getElementById('root');
if (!root) throw new Error('demo: no #root element');

registerServiceWorker();
try {
  const boardId = boardIdFrom(location.search);
  const userName = loadUserName();
  const dbName = dbNameFor(userName, boardId);
  const client = await createClient(kanban, {
    url: location.origin,
    scopes: [boardScope(boardId)],
    auth: tokenFor(userName),
    dbName,
    worker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'weft' }),
  });
  window.weft = client;
  // The demo is a showcase: its devtools are on everywhere (an app would gate them, see README).
  const devtools = mountDevtools(client, {
    app: kanban,
    auth: tokenFor(userName),
    scopes: [boardScope(boardId)],
    enabled: true,
  });
  createRoot(root).render(
    <App
      client={client}
      boardId={boardId}
      userName={userName}
      onUserNameChange={(name) => {
        saveUserName(name);
        location.reload();
      }}
      fetchAudit={httpAuditFetcher(tokenFor(userName))}
      onlineStorage={{ key: onlineKey(dbName), storage: localStorage }}
      onOpenDevtools={() => void devtools.toggle()}
    />,
  );
  await ensureBoard(client, boardId);
} catch (error) {
  console.error(error);
  root.textContent = `The board could not open: ${error instanceof Error ? error.message : String(error)}`;
}

function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js').catch((error: unknown) => console.warn('demo: no service worker', error));
}
