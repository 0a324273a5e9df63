import type { AnyApp } from '../../shared/index.ts';
import { type EngineServer, type FromWorker, parseToWorker, serveEngine, type ToWorker } from '../api/index.ts';
import { reportError } from '../base/index.ts';
import { TabSession } from '../tabs/index.ts';

/** What `exposeWeftWorker` talks over: the worker's global scope, or any port like it. */
export interface WorkerEndpoint {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
}

/**
 * Hosts the weft engine of `app` in this module worker. The app's worker file is this one
 * call; `createClient(app, { worker })` on the main thread talks to it with the engine
 * protocol (engine-protocol.ts) inside the worker envelope (worker-protocol.ts). The worker
 * joins the client's other tabs: it runs the engine when its tab leads, and forwards to the
 * leader tab otherwise.
 *
 * @example
 * // demo/worker.ts
 * import { exposeWeftWorker } from 'weft/client/worker';
 * import { kanban } from './app.ts';
 * exposeWeftWorker(kanban);
 */
export function exposeWeftWorker(app: AnyApp, endpoint: WorkerEndpoint = self as unknown as WorkerEndpoint): void {
  let session: TabSession | null = null;
  let server: EngineServer | null = null;
  let opening = false;
  const tokens = new Map<number, { resolve(token: string): void; reject(error: Error): void }>();
  let nextToken = 1;
  const post = (message: FromWorker) => endpoint.postMessage(message);

  const open = async (message: Extract<ToWorker, { kind: 'open' }>) => {
    if (opening) {
      reportError(new Error('weft: the worker is already open'));
      return;
    }
    opening = true;
    const { token, ...config } = message.config;
    // The app's `auth` function runs on the page: each token is asked for there.
    const ask = () =>
      new Promise<string>((resolve, reject) => {
        const tokenId = nextToken++;
        tokens.set(tokenId, { resolve, reject });
        post({ kind: 'token?', tokenId });
      });
    const auth = message.auth ? ask : token;
    try {
      const opened = await TabSession.open(app, { ...config, ...(auth === undefined ? {} : { auth }) });
      session = opened;
      server = serveEngine(opened.engine, (items) => post({ kind: 'engine', items }));
      post({ kind: 'opened', status: opened.status() });
    } catch (error) {
      const { name, message: text } = error instanceof Error ? error : new Error(String(error));
      post({ kind: 'openFailed', error: { name, message: text } });
    }
  };

  const close = async () => {
    try {
      await server?.ran(); // every command executed before `close()` has run: the close commits it
      await session?.close(); // the stages it reaches go out below
    } finally {
      server?.stop();
      session = null;
      server = null;
      post({ kind: 'closed' });
    }
  };

  endpoint.addEventListener('message', (event) => {
    const parsed = parseToWorker(event.data);
    if (!parsed.ok) {
      reportError(parsed.error);
      return;
    }
    const message = parsed.value;
    switch (message.kind) {
      case 'open':
        void open(message);
        return;
      case 'engine':
        if (server) server.receive(message.items);
        else reportError(new Error('weft: the worker was not opened'));
        return;
      case 'token': {
        const waiting = tokens.get(message.tokenId);
        tokens.delete(message.tokenId);
        if (message.token !== undefined) waiting?.resolve(message.token);
        else waiting?.reject(new Error(message.error ?? 'auth failed'));
        return;
      }
      case 'close':
        void close().catch(reportError);
        return;
    }
  });
}
