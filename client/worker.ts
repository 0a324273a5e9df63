import * as Comlink from 'comlink';
import type { AnyApp, Row } from '../shared/index.ts';
import type { Accepted, ClientStatus } from './backend.ts';
import type { RejectedRecord } from './client-storage.ts';
import type { Query } from './query.ts';
import { reportError } from './report-error.ts';
import { type SessionConfig, TabSession } from './tabs.ts';
import { Batcher, type FromWorker, sameStatus, type ToWorker } from './worker-stream.ts';

/**
 * What `createClient` calls on the worker, over Comlink: the calls that are rare. Commands,
 * subscriptions and everything they cause travel over the port given to `connect` (see
 * worker-stream.ts), one batch per message.
 */
export interface WeftWorkerApi {
  /** Joins the client's tabs (electing a leader) with `config`; resolves once an engine is open. */
  open(
    config: Omit<SessionConfig, 'auth'> & { readonly token?: string },
    auth?: () => Promise<string>,
  ): Promise<ClientStatus>;
  /** Serves the stream on `port` (transferred), once after `open`. */
  connect(port: MessagePort): void;
  query(query: Query): Promise<Row[]>;
  rejections(): Promise<RejectedRecord[]>;
  dismiss(ids: ReadonlyArray<string>): Promise<void>;
  setOnline(online: boolean): Promise<void>;
  /** Closes the session; the stream's last batch (`closed`) is on its way when this resolves. */
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
  let stream: (() => void) | null = null;
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
    connect(port) {
      stream?.();
      stream = serveStream(open(), port);
    },
    query: (query) => open().query(query),
    rejections: () => open().rejections(),
    dismiss: (ids) => open().dismiss(ids),
    setOnline: (online) => open().setOnline(online),
    async close() {
      await session?.close(); // commits what is queued: the stages it reaches go out below
      session = null;
      stream?.();
      stream = null;
    },
  };
  Comlink.expose(api, endpoint);
}

/** How long the worker runs what arrived before it yields to storage and other messages. */
const SLICE_MS = 8;

/**
 * Serves one page's stream from `session`: runs what arrives, sends back what follows. A batch
 * of commands is answered in one message together with the rows it changed. Returns the end:
 * it detaches everything, sends what is queued and then `closed`.
 */
function serveStream(session: TabSession, port: MessagePort): () => void {
  let sent: ClientStatus | null = null;
  const out = new Batcher<FromWorker>((items) => port.postMessage(items), {
    lead: () => {
      const status = session.status();
      if (sent !== null && sameStatus(sent, status)) return undefined;
      sent = status;
      return { kind: 'status', status };
    },
  });
  const subs = new Map<number, () => void>();
  let feed: (() => void) | null = null;
  const detach = [
    session.onStatus(() => out.touch()),
    session.onRejected((rejection) => out.send({ kind: 'rejected', rejection })),
  ];
  // What arrived and has not run yet, run in slices of about SLICE_MS: between slices the group
  // commit of the commands run so far starts, so storage writes overlap the rest of a burst.
  let queue: ToWorker[] = [];
  let next = 0;
  let draining = false;
  let ended = false;
  const drain = () => {
    const until = performance.now() + SLICE_MS;
    const answers: Array<Promise<unknown>> = [];
    do run(queue[next++] as ToWorker, answers);
    while (next < queue.length && !ended && performance.now() < until);
    if (answers.length > 0) out.hold(Promise.allSettled(answers));
    if (next < queue.length && !ended) {
      setTimeout(drain, 0);
      return;
    }
    queue = [];
    next = 0;
    draining = false;
  };
  const run = (op: ToWorker, answers: Array<Promise<unknown>>) => {
    switch (op.kind) {
      case 'submit':
        answers.push(submit(op.id, op.name, op.args, op.at));
        return;
      case 'query': {
        const { queryId } = op;
        answers.push(
          session.query(op.query).then(
            (rows) => out.send({ kind: 'queried', queryId, rows }),
            (error: unknown) => {
              const { name, message } = error instanceof Error ? error : new Error(String(error));
              out.send({ kind: 'queryFailed', queryId, name, message });
            },
          ),
        );
        return;
      }
      case 'feed':
        feed?.();
        feed = session.feed(op.scopes, (batch) => out.send({ kind: 'feed', batch }));
        return;
      case 'subscribe':
        try {
          subs.get(op.subId)?.();
          const { subId } = op;
          subs.set(
            subId,
            session.subscribe(op.query, (rows) => out.send({ kind: 'rows', subId, rows })),
          );
        } catch (error) {
          reportError(error); // the page validated the query: this is a bug
        }
        return;
      case 'unsubscribe':
        subs.get(op.subId)?.();
        subs.delete(op.subId);
        return;
      case 'drain':
        out.send({ kind: 'drained' });
        return;
      default:
        reportError(new TypeError(`weft: unknown stream message ${(op as { kind: unknown }).kind}`));
    }
  };
  port.onmessage = (event: MessageEvent<ReadonlyArray<ToWorker>>) => {
    for (const op of event.data) queue.push(op);
    if (draining || ended) return;
    draining = true;
    drain();
  };
  const submit = (id: string, name: string, args: unknown, at: number | undefined): Promise<unknown> => {
    let answer: Promise<Accepted>;
    try {
      answer = session.submit(id, name, args, (update) => out.send({ kind: 'update', update }), at);
    } catch (error) {
      answer = Promise.reject(error);
    }
    return answer.then(
      (accepted) => out.send({ kind: 'accepted', accepted }),
      (error: unknown) =>
        out.send({ kind: 'failed', id, message: error instanceof Error ? error.message : String(error) }),
    );
  };
  return () => {
    ended = true; // what has not run yet stays unanswered: the page settles it as closed
    for (const stop of detach) stop();
    for (const stop of subs.values()) stop();
    subs.clear();
    feed?.();
    feed = null;
    out.flush();
    port.postMessage([{ kind: 'closed' }] satisfies FromWorker[]);
    port.onmessage = null;
  };
}
