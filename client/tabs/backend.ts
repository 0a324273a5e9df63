import type { Row } from '../../shared/index.ts';
import type { EngineApi } from '../api/index.ts';
import type { Submitted } from '../base/index.ts';
import type { Engine } from '../engine/index.ts';
import type { SwitchableTransport } from '../sync/index.ts';

/** The backend of the leader tab: calls go straight to the engine, under the ids the pages chose. */
export function engineBackend(
  engine: Engine,
  transport: SwitchableTransport,
  saveOnline: (online: boolean) => Promise<void>,
): EngineApi {
  return {
    async submit(id, name, args, listener, { at, resubmit = true } = {}) {
      const state = engine.watch(id, listener);
      if (state !== 'unknown' || !resubmit) {
        engine.flushFeeds();
        return { ok: true, id };
      }
      // Runs now, or on a scope not loaded yet (lazy-scopes.ts) once its rows are (`applied` waits).
      const submitted = await new Promise<Submitted | null>((resolve, reject) =>
        engine.whenScopeLoaded(
          name,
          args,
          () => {
            if (engine.watch(id, listener) !== 'unknown') return resolve(null); // resent meanwhile
            resolve(engine.submit(id, name, args, listener, at));
          },
          reject,
        ),
      );
      // Let the live queries flush first, so a caller that awaits `applied` has its updates.
      await Promise.resolve();
      await Promise.resolve();
      engine.flushFeeds(); // the command's rows go out before its answer (see FeedBatch)
      if (submitted === null || submitted.ok) return { ok: true, id };
      return { ok: false, id, code: submitted.code, message: submitted.message };
    },
    // Served from storage for a scope not loaded yet (lazy-scopes.ts).
    query: (query) => engine.read(query as Parameters<Engine['read']>[0]) as Promise<Row[]>,
    feed: (scopes, listener) => engine.feed(scopes, listener),
    subscribe: (query, callback) =>
      engine.subscribe(query as Parameters<Engine['subscribe']>[0], callback as (rows: unknown[]) => void),
    onStatus: (listener) => engine.onStatus(listener),
    onRejected: (listener) => engine.onRejected(listener),
    rejections: async () => engine.rejections(),
    dismiss: (ids) => engine.dismiss(ids),
    async setOnline(online) {
      transport.setEnabled(online);
      engine.setOnline(online);
      await saveOnline(online);
    },
  };
}
