import type { ClientStatus, EngineApi } from '../api/index.ts';
import { EngineClient, type FromWorker, parseFromWorker, type ToWorker } from '../api/index.ts';
import { ClosedError, deferred, reportError } from '../base/index.ts';

/** Where the engine syncs and keeps its state (`createClient`'s options, without the worker). */
export interface PortOptions {
  readonly url: string;
  readonly scopes: ReadonlyArray<string>;
  readonly auth?: string | (() => string | Promise<string>);
  readonly dbName: string;
}

/** An opened engine as `createClient` uses it, whether it is in a worker or on this thread. */
export interface Port {
  readonly initial: ClientStatus;
  /** The scopes the page reads: what its replica holds (with `engine.feed`). */
  readonly scopes?: ReadonlyArray<string>;
  readonly engine: EngineApi<ClientStatus>;
  /**
   * Closes the session: what the page sent before runs and is committed first, the stages it
   * reaches are reported, then every command still unsettled ends `rejected` as `closed`
   * (`closedUpdate`) and every call unanswered rejects with `ClosedError`.
   */
  close(): Promise<void>;
}

/**
 * The port to an engine in `worker` (owned from then on: `close` terminates it): the engine
 * protocol (engine-protocol.ts) inside the worker envelope (worker-protocol.ts), one message per
 * batch, so a loop of 10,000 executes is a few messages to the worker and its answers a few back.
 */
export async function workerPort(worker: Worker, options: PortOptions): Promise<Port> {
  const { auth } = options;
  const post = (message: ToWorker) => worker.postMessage(message);
  const opened = deferred<ClientStatus>();
  const closed = deferred();
  let client: EngineClient<ClientStatus> | null = null;
  const answerToken = async (tokenId: number) => {
    try {
      const token = typeof auth === 'function' ? await auth() : auth;
      if (typeof token !== 'string') throw new TypeError('auth must return a string token');
      post({ kind: 'token', tokenId, token });
    } catch (error) {
      post({ kind: 'token', tokenId, error: error instanceof Error ? error.message : String(error) });
    }
  };
  const receive = (message: FromWorker) => {
    switch (message.kind) {
      case 'opened':
        opened.resolve(message.status as ClientStatus);
        return;
      case 'openFailed':
        opened.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
        return;
      case 'engine':
        client?.receive(message.items);
        return;
      case 'token?':
        void answerToken(message.tokenId);
        return;
      case 'closed':
        closed.resolve();
        return;
    }
  };
  worker.onmessage = (event: MessageEvent<unknown>) => {
    const parsed = parseFromWorker(event.data);
    if (parsed.ok) receive(parsed.value);
    else reportError(parsed.error);
  };
  worker.onerror = (event: ErrorEvent) => opened.reject(new Error(`weft: the worker failed: ${event.message}`));
  const { url, scopes, dbName } = options;
  post({
    kind: 'open',
    config: { url, scopes: [...scopes], dbName, ...(typeof auth === 'string' ? { token: auth } : {}) },
    auth: typeof auth === 'function',
  });
  let initial: ClientStatus;
  try {
    initial = await opened.promise;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  // A loop of executes reaches the worker in chunks, so the worker starts while it runs.
  const engine = new EngineClient<ClientStatus>((items) => post({ kind: 'engine', items }), initial, { max: 256 });
  client = engine;
  return {
    initial,
    scopes: [...scopes],
    engine,
    async close() {
      engine.flush();
      post({ kind: 'close' });
      try {
        await closed.promise; // every stage the worker sent has been handled
      } finally {
        engine.dispose(new ClosedError());
        worker.terminate();
      }
    },
  };
}
