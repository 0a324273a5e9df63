import * as Comlink from 'comlink';
import type { Row } from '../shared/index.ts';
import type { Accepted, ClientStatus } from './backend.ts';
import type { RejectedRecord } from './client-storage.ts';
import { ClosedError } from './closed-error.ts';
import type { CommandUpdate } from './command-lifecycle.ts';
import { deferred } from './deferred.ts';
import type { Query } from './query.ts';
import { reportError } from './report-error.ts';
import type { FeedBatch } from './row-feed.ts';
import { UnsettledCommands } from './unsettled-commands.ts';
import type { WeftWorkerApi } from './worker.ts';
import { Batcher, type FromWorker, type ToWorker } from './worker-stream.ts';

/** Where the engine syncs and keeps its state (`createClient`'s options, without the worker). */
export interface PortOptions {
  readonly url: string;
  readonly scopes: ReadonlyArray<string>;
  readonly auth?: string | (() => string | Promise<string>);
  readonly dbName: string;
}

/** The engine's side as `createClient` uses it, whether it is a worker or on this thread. */
export interface Port {
  readonly initial: ClientStatus;
  /** The scopes the page reads: what its replica holds (with `feed`). */
  readonly scopes?: ReadonlyArray<string>;
  submit(
    id: string,
    name: string,
    args: unknown,
    listener: (update: CommandUpdate) => void,
    at?: number,
    /** The page's replica applied it already: nothing waits for the answer this task. */
    applied?: boolean,
  ): Promise<Accepted>;
  /**
   * The leader's rows of `scopes` as changes, for the page's replica (row-feed.ts); each batch
   * that holds a command's changes comes before `submit`'s answer for it. Without it, the page
   * has no replica and every command waits for the engine.
   */
  feed?(scopes: ReadonlyArray<string>, listener: (batch: FeedBatch) => void): () => void;
  query(query: Query): Promise<Row[]>;
  subscribe(query: Query, callback: (rows: Row[]) => void): Promise<() => void>;
  onStatus(callback: (status: ClientStatus) => void): Promise<() => void>;
  onRejected(callback: (rejection: RejectedRecord) => void): Promise<() => void>;
  rejections(): Promise<RejectedRecord[]>;
  dismiss(ids: string[]): Promise<void>;
  setOnline(online: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * The port to an engine in `worker` (owned from then on: `close` terminates it): rare calls over Comlink, and commands and
 * subscriptions over a stream of their own (worker-stream.ts), batched per microtask, so a
 * loop of 10,000 executes is one message to the worker and its answers a few back.
 */
export async function workerPort(worker: Worker, options: PortOptions): Promise<Port> {
  const remote = Comlink.wrap<WeftWorkerApi>(worker);
  const { auth } = options;
  const config = { url: options.url, scopes: [...options.scopes], dbName: options.dbName };
  let initial: ClientStatus;
  const channel = new MessageChannel();
  try {
    initial =
      typeof auth === 'function'
        ? await remote.open(
            config,
            Comlink.proxy(async () => auth()),
          )
        : await remote.open(auth === undefined ? config : { ...config, token: auth });
    await remote.connect(Comlink.transfer(channel.port2, [channel.port2]));
  } catch (error) {
    worker.terminate();
    throw error;
  }
  const stream = channel.port1;
  // A loop of executes reaches the worker in chunks, so the worker starts while it runs.
  const out = new Batcher<ToWorker>((items) => stream.postMessage(items), { max: 256 });
  /** Submits not answered yet (calls, like queries), and the commands not settled yet, by id. */
  const answers = new Map<string, { resolve(accepted: Accepted): void; reject(error: unknown): void }>();
  const commands = new UnsettledCommands();
  const subs = new Map<number, (rows: Row[]) => void>();
  let feedListener: ((batch: FeedBatch) => void) | null = null;
  /** Queries not answered yet, by id: they travel behind the commands sent before them. */
  const queries = new Map<number, { resolve(rows: Row[]): void; reject(error: unknown): void }>();
  let nextQuery = 1;
  const statusListeners = new Set<(status: ClientStatus) => void>();
  const rejectedListeners = new Set<(rejection: RejectedRecord) => void>();
  let nextSub = 1;
  const end = deferred();
  const drained = deferred();
  stream.onmessage = (event: MessageEvent<ReadonlyArray<FromWorker>>) => {
    for (const item of event.data) receive(item);
  };
  const receive = (item: FromWorker): void => {
    switch (item.kind) {
      case 'status':
        for (const listener of statusListeners) safely(listener, item.status);
        return;
      case 'rows':
        subs.get(item.subId)?.(item.rows);
        return;
      case 'feed':
        feedListener?.(item.batch);
        return;
      case 'queried':
        queries.get(item.queryId)?.resolve(item.rows);
        queries.delete(item.queryId);
        return;
      case 'queryFailed':
        queries.get(item.queryId)?.reject(Object.assign(new Error(item.message), { name: item.name }));
        queries.delete(item.queryId);
        return;
      case 'accepted': {
        const { accepted } = item;
        if (!accepted.ok) commands.refused(accepted.id); // refused by the engine: no stage will follow
        answers.get(accepted.id)?.resolve(accepted);
        answers.delete(accepted.id);
        return;
      }
      case 'failed':
        commands.refused(item.id);
        answers.get(item.id)?.reject(new Error(item.message));
        answers.delete(item.id);
        return;
      case 'update':
        commands.update(item.update);
        return;
      case 'rejected':
        for (const listener of rejectedListeners) safely(listener, item.rejection);
        return;
      case 'drained':
        drained.resolve();
        return;
      case 'closed':
        end.resolve();
        return;
      default:
        reportError(new TypeError(`weft: unknown message from the worker ${(item as { kind: unknown }).kind}`));
    }
  };
  return {
    initial,
    scopes: [...options.scopes],
    submit: (id, name, args, listener, at, applied) =>
      new Promise<Accepted>((resolve, reject) => {
        commands.add({ id, listener });
        answers.set(id, { resolve, reject });
        const op: ToWorker =
          at === undefined ? { kind: 'submit', id, name, args } : { kind: 'submit', id, name, args, at };
        if (applied) out.sendSoon(op);
        else out.send(op);
      }),
    feed(scopes, listener) {
      feedListener = listener;
      out.send({ kind: 'feed', scopes: [...scopes] });
      return () => {
        feedListener = null;
      };
    },
    // On the stream, not Comlink: a query sees every command executed before it on this page.
    query: (query) =>
      new Promise<Row[]>((resolve, reject) => {
        const queryId = nextQuery++;
        queries.set(queryId, { resolve, reject });
        out.send({ kind: 'query', queryId, query });
      }),
    async subscribe(query, callback) {
      const subId = nextSub++;
      subs.set(subId, callback);
      out.send({ kind: 'subscribe', subId, query });
      return () => {
        if (subs.delete(subId)) out.send({ kind: 'unsubscribe', subId });
      };
    },
    async onStatus(callback) {
      statusListeners.add(callback);
      return () => statusListeners.delete(callback);
    },
    async onRejected(callback) {
      rejectedListeners.add(callback);
      return () => rejectedListeners.delete(callback);
    },
    rejections: () => remote.rejections(),
    dismiss: (ids) => remote.dismiss(ids),
    setOnline: (online) => remote.setOnline(online),
    async close() {
      out.send({ kind: 'drain' });
      out.flush();
      try {
        await drained.promise; // every command executed so far has run: the close commits it
        await remote.close();
        await end.promise; // every stage the worker sent has been handled
      } finally {
        const closed = new ClosedError();
        for (const answer of answers.values()) answer.reject(closed);
        answers.clear();
        for (const query of queries.values()) query.reject(closed);
        queries.clear();
        stream.close();
        remote[Comlink.releaseProxy]();
        worker.terminate();
      }
    },
  };
}

function safely<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    reportError(error);
  }
}
