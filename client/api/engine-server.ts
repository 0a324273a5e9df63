import { reportError } from '../base/index.ts';
import type { SyncStatus } from '../sync/index.ts';
import type { EngineApi } from './engine-api.ts';
import type { Call, Event, Request } from './engine-protocol.ts';
import { Batcher, sameStatus } from './worker-stream.ts';

/** How long a server runs what arrived before it yields to storage and other messages. */
const SLICE_MS = 8;

/** One caller's engine served over a carrier; see `serveEngine`. */
export interface EngineServer {
  /** Runs the requests of one message (validated by the carrier), in order, after those before. */
  receive(requests: ReadonlyArray<Request>): void;
  /** Resolves once every request received so far has run (not necessarily been answered). */
  ran(): Promise<void>;
  /** Detaches everything and sends what is queued; what has not run yet stays unanswered. */
  stop(): void;
}

/**
 * Serves `api` to one caller (an `EngineClient` at the other end of a carrier): the worker
 * serves its page, a leader serves each follower tab. What arrives runs in slices of about
 * SLICE_MS, so between slices the group commit of the commands run so far starts and storage
 * writes overlap the rest of a burst. What goes back is batched: one message per moment,
 * kept open while the answers of a slice settle, so a burst's rows, stages and replies travel
 * together; the status leads a batch whenever it changed, so the caller's status is never
 * older than an answer it gets.
 */
export function serveEngine<S extends SyncStatus>(api: EngineApi<S>, send: (events: Event[]) => void): EngineServer {
  let status: S | null = null;
  let sent: S | null = null;
  const out = new Batcher<Event>(send, {
    lead: () => {
      if (status === null || (sent !== null && sameStatus(sent, status))) return undefined;
      sent = status;
      return { kind: 'status', status };
    },
  });
  const subs = new Map<number, () => void>();
  const detach = [
    api.onStatus((next) => {
      status = next;
      out.touch();
    }),
    api.onRejected((rejection) => out.send({ kind: 'rejected', rejection })),
  ];
  let queue: Request[] = [];
  let next = 0;
  let draining = false;
  let ended = false;
  let idle: Array<() => void> = [];

  const drain = () => {
    const until = performance.now() + SLICE_MS;
    const answers: Array<Promise<unknown>> = [];
    do run(queue[next++] as Request, answers);
    while (next < queue.length && !ended && performance.now() < until);
    if (answers.length > 0) out.hold(Promise.allSettled(answers));
    if (next < queue.length && !ended) {
      setTimeout(drain, 0);
      return;
    }
    queue = [];
    next = 0;
    draining = false;
    for (const resolve of idle.splice(0)) resolve();
  };

  const reply = (callId: number, answer: () => Promise<unknown>): Promise<unknown> => {
    let value: Promise<unknown>;
    try {
      value = answer();
    } catch (error) {
      value = Promise.reject(error);
    }
    return value.then(
      (result) => {
        if (!ended) out.send({ kind: 'reply', callId, ok: true, value: result });
      },
      (error: unknown) => {
        if (ended) return;
        const { name, message } = error instanceof Error ? error : new Error(String(error));
        out.send({ kind: 'reply', callId, ok: false, error: { name, message } });
      },
    );
  };

  const call = (request: Call): Promise<unknown> => {
    switch (request.method) {
      case 'query':
        return api.query(request.query);
      case 'rejections':
        return api.rejections();
      case 'dismiss':
        return api.dismiss(request.ids);
      case 'setOnline':
        return api.setOnline(request.online);
      default:
        return Promise.reject(new TypeError(`unknown call ${(request as { method: string }).method}`));
    }
  };

  const run = (request: Request, answers: Array<Promise<unknown>>) => {
    switch (request.kind) {
      case 'submit': {
        const { id, name, args, at, resubmit } = request;
        const listener = (update: Parameters<Parameters<EngineApi['submit']>[3]>[0]) => {
          if (!ended) out.send({ kind: 'update', update });
        };
        const options = { ...(at === undefined ? {} : { at }), ...(resubmit === undefined ? {} : { resubmit }) };
        answers.push(reply(request.callId, () => api.submit(id, name, args, listener, options)));
        return;
      }
      case 'call':
        answers.push(reply(request.callId, () => call(request.call)));
        return;
      case 'subscribe': {
        const { subId } = request;
        subs.get(subId)?.();
        try {
          subs.set(
            subId,
            api.subscribe(request.query, (rows) => out.send({ kind: 'rows', subId, rows })),
          );
        } catch (error) {
          subs.delete(subId);
          reportError(error); // the caller validated the query: this is a bug
        }
        return;
      }
      case 'feed': {
        const { subId } = request;
        subs.get(subId)?.();
        subs.set(
          subId,
          api.feed(request.scopes, (batch) => out.send({ kind: 'feed', subId, batch })),
        );
        return;
      }
      case 'unsubscribe':
        subs.get(request.subId)?.();
        subs.delete(request.subId);
        return;
      default:
        reportError(new TypeError(`weft: unknown engine request ${(request as { kind: unknown }).kind}`));
    }
  };

  return {
    receive(requests) {
      if (ended) return;
      for (const request of requests) queue.push(request);
      if (draining || queue.length === 0) return;
      draining = true;
      drain();
    },
    ran: () => (draining ? new Promise<void>((resolve) => idle.push(resolve)) : Promise.resolve()),
    stop() {
      if (ended) return;
      ended = true;
      for (const stop of detach) stop();
      for (const stop of subs.values()) stop();
      subs.clear();
      out.flush();
      for (const resolve of idle.splice(0)) resolve();
      idle = [];
    },
  };
}
