import type { LiveHandlers, Transport, TransportResult } from './transport.ts';

/** A transport with an off switch: the demo's "offline" toggle, and tests of offline work. */
export interface SwitchableTransport extends Transport {
  /** Off: every call fails at once as a network failure and the open live stream closes. */
  setEnabled(enabled: boolean): void;
  readonly enabled: boolean;
}

const OFFLINE = { kind: 'network', message: 'offline (switched off by the app)' } as const;

/**
 * Wraps `inner` so that the app can take the client off the network and back. The engine's
 * own `setOnline` is only a hint (DESIGN §3); this makes "offline" real: nothing is sent.
 *
 * @example
 * const transport = switchableTransport(httpTransport({ url, auth }));
 * transport.setEnabled(false); // offline: commands stay pending in the outbox
 */
export function switchableTransport(inner: Transport): SwitchableTransport {
  let enabled = true;
  const streams = new Set<{ close(): void; handlers: LiveHandlers }>();
  const offline = <T>(): Promise<TransportResult<T>> => Promise.resolve({ ok: false, failure: OFFLINE });
  const snapshotOf =
    (call: NonNullable<Transport['snapshot']>): NonNullable<Transport['snapshot']> =>
    (scope, minHead) =>
      enabled ? call(scope, minHead) : offline();

  return {
    get enabled() {
      return enabled;
    },
    setEnabled(on) {
      enabled = on;
      if (on) return;
      for (const stream of [...streams]) {
        streams.delete(stream);
        stream.close();
        stream.handlers.closed(OFFLINE);
      }
    },
    push: (request) => (enabled ? inner.push(request) : offline()),
    pull: (scope, after, limit) => (enabled ? inner.pull(scope, after, limit) : offline()),
    ...(inner.snapshot ? { snapshot: snapshotOf(inner.snapshot.bind(inner)) } : {}),
    live(cursors, handlers) {
      if (!enabled) {
        queueMicrotask(() => handlers.closed(OFFLINE));
        return () => undefined;
      }
      const stream: { close(): void; handlers: LiveHandlers } = { handlers, close: () => undefined };
      stream.close = inner.live(cursors, {
        open: () => handlers.open(),
        message: (message) => handlers.message(message),
        closed: (failure) => {
          if (streams.delete(stream)) handlers.closed(failure);
        },
      });
      streams.add(stream);
      return () => {
        streams.delete(stream);
        stream.close();
      };
    },
  };
}
