import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import * as v from 'valibot';
import { type LiveMessage, protocol, WeftError, type WireEvent } from '../shared/index.ts';
import type { Auth, Principal } from './auth.ts';
import type { Limits } from './limits.ts';
import type { LiveHub } from './live-hub.ts';
import { requireRight } from './routes-read.ts';
import type { EventStore } from './store/port.ts';

const BACKLOG_PAGE = 1000;

export interface LiveOptions {
  readonly heartbeatMs: number;
}

/**
 * `GET /v1/live?scope=S:N&scope=T:M`: Server-Sent Events, one `events` message per batch of
 * confirmed events `{ scope, events, head }`, starting after each cursor. Live events are
 * buffered while the backlog is read, then deduplicated by seq, and a gap (another node's events
 * heard of late) is filled from the store first, so the stream is gap-free and in order. The
 * right to read is checked again before each delivery.
 */
export async function handleLive(
  c: Context,
  deps: {
    store: EventStore;
    auth: Auth;
    hub: LiveHub;
    limits: Limits;
    options: LiveOptions;
    /** Takes a live stream slot: the release, or which cap is reached (the user's or the server's). */
    admit?: (principal: Principal) => (() => void) | 'user' | 'server';
  },
  principal: Principal,
): Promise<Response> {
  const cursors = parseCursors(c.req.queries('scope') ?? [], deps.limits.maxLiveScopes);
  for (const { scope, after } of cursors) {
    await requireRight(deps.auth, principal, 'read', scope);
    const { head } = await deps.store.readEvents(scope, 0, 0);
    if (after > head) {
      throw new WeftError('cursor_ahead', `cursor ${after} is past the head ${head} of ${scope}`, { scope, head });
    }
  }

  // HEAD (which Hono routes here as a GET) answers the headers only: its body is never read, so
  // a stream opened for it would never see the client leave and would hold its slot for good.
  if (c.req.method !== 'GET') {
    return c.body(null, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  }
  const release = deps.admit ? deps.admit(principal) : () => undefined;
  if (release === 'user') {
    c.header('retry-after', '5');
    throw new WeftError('rate_limited', `at most ${deps.limits.maxLiveConnectionsPerUser} live connections per user`, {
      retryAfter: 5,
    });
  }
  if (release === 'server') {
    c.header('retry-after', '5');
    throw new WeftError('unavailable', `the server holds its most live streams (${deps.limits.maxLiveStreams})`, {
      retryAfter: 5,
    });
  }

  return streamSSE(c, async (stream) => {
    const sent = new Map(cursors.map(({ scope, after }) => [scope, after]));
    const buffered: LiveMessage[] = [];
    let live = false;
    let writing = Promise.resolve();
    const send = async (message: OutgoingMessage) => {
      if (stream.aborted) return;
      if (!(await deps.auth.authorize(principal, 'read', message.scope))) {
        stream.abort();
        return;
      }
      const last = message.events.at(-1)?.seq ?? 0;
      sent.set(message.scope, last);
      await stream.writeSSE({ event: 'events', id: `${message.scope}:${last}`, data: messageJson(message) });
    };
    // Deliveries run one at a time: each sends only events past what this stream sent, and reads
    // any gap before them from the store (events another node appended that this node heard of late).
    const deliver = (scope: string, events: ReadonlyArray<WireEvent>, head: number) => {
      writing = writing
        .then(async () => {
          let after = sent.get(scope) ?? 0;
          // The published array itself when nothing is trimmed, so its JSON is shared (`messageJson`).
          const fresh = (events[0]?.seq ?? 0) > after ? events : events.filter((e) => e.seq > after);
          const first = fresh[0]?.seq;
          if (first === undefined) return;
          while (after + 1 < first && !stream.aborted) {
            const gap = await deps.store.readEvents(scope, after, Math.min(first - 1 - after, BACKLOG_PAGE));
            const missing = gap.events.filter((e) => e.seq < first);
            if (missing.length === 0) break;
            await send({ scope, events: missing, head: Math.max(head, gap.head) });
            after = sent.get(scope) ?? after;
          }
          await send({ scope, events: fresh, head });
        })
        .catch((error: unknown) => {
          console.error('weft: live delivery failed', error);
          stream.abort();
        });
      return writing;
    };
    const unsubscribes = cursors.map(({ scope }) =>
      deps.hub.subscribe(scope, (events, head) => {
        if (live) deliver(scope, events, head);
        else buffered.push({ scope, events: [...events], head });
      }),
    );
    const heartbeat = setInterval(() => {
      writing = writing.then(() => (stream.aborted ? undefined : stream.writeSSE({ event: 'heartbeat', data: '{}' })));
    }, deps.options.heartbeatMs);
    stream.onAbort(() => {
      release();
      clearInterval(heartbeat);
      for (const unsubscribe of unsubscribes) unsubscribe();
    });

    try {
      await stream.writeSSE({ event: 'ready', data: JSON.stringify({ scopes: cursors.map((x) => x.scope) }) });
      for (const { scope } of cursors) {
        for (;;) {
          const { events, head } = await deps.store.readEvents(scope, sent.get(scope) ?? 0, BACKLOG_PAGE);
          if (events.length === 0) break;
          deliver(scope, events, head);
          await writing;
          if ((events.at(-1)?.seq ?? head) >= head) break;
        }
      }
      live = true;
      for (const message of buffered.splice(0)) deliver(message.scope, message.events, message.head);
      // Hold the stream open until the client goes away.
      await new Promise<void>((resolve) => stream.onAbort(resolve));
    } finally {
      clearInterval(heartbeat);
      for (const unsubscribe of unsubscribes) unsubscribe();
      release();
    }
  });
}

/** A live message before serialisation; its events may be the hub's shared, read-only array. */
type OutgoingMessage = Omit<LiveMessage, 'events'> & { readonly events: ReadonlyArray<WireEvent> };

/**
 * A live message as JSON, serialised once per published batch however many streams deliver
 * it: the hub hands every subscriber the same events array, so it keys the cache.
 */
const serialised = new WeakMap<ReadonlyArray<WireEvent>, { head: number; json: string }>();
function messageJson(message: OutgoingMessage): string {
  const cached = serialised.get(message.events);
  if (cached && cached.head === message.head) return cached.json;
  const json = JSON.stringify(message);
  serialised.set(message.events, { head: message.head, json });
  return json;
}

function parseCursors(values: string[], max: number): Array<{ scope: string; after: number }> {
  if (values.length === 0) throw new WeftError('bad_request', 'name at least one scope=S:N');
  if (values.length > max) throw new WeftError('bad_request', `at most ${max} scopes per live connection`);
  const cursors = values.map((value) => {
    const parsed = v.safeParse(protocol.LiveCursorSchema, value);
    if (!parsed.success)
      throw new WeftError('bad_request', `invalid scope cursor "${value.slice(0, 80)}": ${parsed.issues[0].message}`);
    return parsed.output;
  });
  if (new Set(cursors.map((x) => x.scope)).size !== cursors.length) {
    throw new WeftError('bad_request', 'each scope may appear once');
  }
  return cursors;
}
