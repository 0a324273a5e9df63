import * as Comlink from 'comlink';
import type { AnyApp, Row } from '../shared/index.ts';
import type { Accepted, ClientStatus } from './backend.ts';
import type { RejectedRecord } from './client-storage.ts';
import type { CommandUpdate } from './command-lifecycle.ts';
import type { Query } from './query.ts';
import { type SessionConfig, TabSession } from './tabs.ts';

/** A callback as the worker receives it: a Comlink proxy of a main-thread function. */
type Callback<T> = ((value: T) => unknown) & Partial<{ [Comlink.releaseProxy]: () => void }>;

/** What `createClient` calls on the worker, over Comlink. Unsubscribes come back as proxies. */
export interface WeftWorkerApi {
  /** Joins the client's tabs (electing a leader) with `config`; resolves once an engine is open. */
  open(
    config: Omit<SessionConfig, 'auth'> & { readonly token?: string },
    auth?: () => Promise<string>,
  ): Promise<ClientStatus>;
  /**
   * Where the stages of every submitted command go: one channel for all of them, set once after
   * `open`, because a Comlink proxy per command costs a MessageChannel each.
   */
  onUpdates(callback: Callback<CommandUpdate>): void;
  submit(id: string, name: string, args: unknown): Promise<Accepted>;
  query(query: Query): Promise<Row[]>;
  subscribe(query: Query, callback: Callback<Row[]>): () => void;
  onStatus(callback: Callback<ClientStatus>): () => void;
  onRejected(callback: Callback<RejectedRecord>): () => void;
  rejections(): Promise<RejectedRecord[]>;
  dismiss(ids: ReadonlyArray<string>): Promise<void>;
  setOnline(online: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * Hosts the weft engine of `app` in this module worker, exposed with Comlink. The app's worker
 * file is this one call; `createClient(app, { worker })` on the main thread talks to it.
 * The worker joins the client's other tabs: it runs the engine when its tab leads, and forwards
 * to the leader tab otherwise.
 *
 * @example
 * // demo/worker.ts
 * import { exposeWeftWorker } from 'weft/client';
 * import { kanban } from './app.ts';
 * exposeWeftWorker(kanban);
 */
export function exposeWeftWorker(app: AnyApp, endpoint: Comlink.Endpoint = self as unknown as Comlink.Endpoint): void {
  let session: TabSession | null = null;
  let updates: Callback<CommandUpdate> | null = null;
  // The last stage sent: `close` waits for it, so every stage reaches the main thread before it returns.
  let lastUpdate: unknown;
  const open = (): TabSession => {
    if (!session) throw new Error('weft: the worker was not opened');
    return session;
  };
  const api: WeftWorkerApi = {
    async open(config, auth) {
      if (session) throw new Error('weft: the worker is already open');
      const { token, ...rest } = config;
      const credentials = auth ?? token;
      session = await TabSession.open(app, { ...rest, ...(credentials === undefined ? {} : { auth: credentials }) });
      return session.status();
    },
    onUpdates(callback) {
      updates?.[Comlink.releaseProxy]?.();
      updates = callback;
    },
    submit: (id, name, args) =>
      open().submit(id, name, args, (update) => {
        lastUpdate = updates?.(update);
      }),
    query: (query) => open().query(query),
    subscribe: (query, callback) =>
      unsubscriber(
        open().subscribe(query, (rows) => void callback(rows)),
        callback,
      ),
    onStatus: (callback) =>
      unsubscriber(
        open().onStatus((status) => void callback(status)),
        callback,
      ),
    onRejected: (callback) =>
      unsubscriber(
        open().onRejected((rejection) => void callback(rejection)),
        callback,
      ),
    rejections: () => open().rejections(),
    dismiss: (ids) => open().dismiss(ids),
    setOnline: (online) => open().setOnline(online),
    async close() {
      await session?.close();
      session = null;
      await Promise.resolve(lastUpdate).catch(() => undefined);
      updates?.[Comlink.releaseProxy]?.();
      updates = null;
    },
  };
  Comlink.expose(api, endpoint);
}

/** The unsubscribe, as a proxy the main thread can call; it also frees the callback's port. */
function unsubscriber(unsubscribe: () => void, callback: Callback<never>): () => void {
  return Comlink.proxy(() => {
    unsubscribe();
    callback[Comlink.releaseProxy]?.();
  });
}
