import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { until } from '../client/testing/harness.ts';
import { replay } from '../client/testing/replay.ts';
import { bearerAuth, createServer, type EventStore } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { defineApp, type PushCommand, type protocol, table, type WireEvent } from '../shared/index.ts';
import { dexieStorage, Engine, httpTransport } from '../testing/index.ts';
import { closedAfterEach } from './support/closed-after-each.ts';
import { type SeenExchange, seenExchange } from './support/seen-exchange.ts';

/**
 * G15 "initial sync cost grows with current state, not history": `GET /v1/snapshot`, and a new
 * client that starts from it. The app is a counter (`bump` adds, so a command applied twice
 * shows), on the real server in-process (`app.request`) on SQLite, and the real engine on Dexie
 * over fake-indexeddb. Every request the client makes is counted at its `fetch`.
 */
const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const counters = defineApp({
  name: 'counters',
  version: 1,
  events: { bumped: v.object({ id: Id, by: v.number() }) },
  tables: { counters: table(v.object({ id: Id, n: v.number() }), { key: 'id' }) },
  projections: {
    bumped: (tx, { data }) => {
      const n = (tx.get('counters', data.id)?.n as number | undefined) ?? 0;
      tx.put('counters', { id: data.id, n: n + data.by });
    },
  },
  commands: {
    bump: {
      args: v.object({ group: Id, id: Id, by: v.number() }),
      scope: (args) => `group:${args.group}`,
      run(ctx, args) {
        ctx.emit('bumped', { id: args.id, by: args.by });
      },
    },
  },
});
type CounterApp = typeof counters;
const SCOPE = 'group:g';

const engines = closedAfterEach<Engine<CounterApp>>();

type Seen = SeenExchange;

/** The server, a writer that seeds history through `/v1/push`, and a counting `fetch` per client. */
function setup(options: { withSnapshots?: boolean } = {}) {
  const store: EventStore = sqliteStore({ file: ':memory:' });
  const server = createServer({
    app: counters,
    store,
    auth: bearerAuth({
      verify: (token) => (token.startsWith('user:') ? { userId: token.slice(5) } : null),
      authorize: (principal, right) => principal.userId !== 'eve' || right !== 'read',
    }),
    limits: { requestsPerSecond: 1e6, requestBurst: 1e6 },
  });
  let writerSeq = 0;
  async function write(count: number, ids = 30): Promise<void> {
    for (let done = 0; done < count; ) {
      const commands: PushCommand[] = [];
      for (; done < count && commands.length < 1000; done++) {
        const seq = ++writerSeq;
        const args = { group: 'g', id: `k${seq % ids}`, by: (seq % 7) + 1 };
        commands.push({ id: `w-${seq}`, seq, name: 'bump', args, at: 1_700_000_000_000 + seq, baseSeq: 0 });
      }
      const res = await server.request('/v1/push', {
        method: 'POST',
        headers: { authorization: 'Bearer user:writer', 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'writer', commands }),
      });
      if (res.status !== 200) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
    }
  }
  async function allEvents(): Promise<WireEvent[]> {
    return (await store.readEvents(SCOPE, 0, 1_000_000)).events;
  }
  function client(
    user: string,
    hooks: {
      before?: (path: string) => Promise<void>;
      rewrite?: (path: string, res: Response) => Promise<Response>;
    } = {},
  ) {
    const seen: Seen[] = [];
    const transport = httpTransport({
      url: 'http://weft.test',
      auth: `user:${user}`,
      fetch: async (request) => {
        const url = new URL(request.url);
        await hooks.before?.(url.pathname);
        let res =
          url.pathname === '/v1/snapshot' && options.withSnapshots === false
            ? Response.json({ error: { code: 'not_found', message: 'no route' } }, { status: 404 })
            : await server.request(request);
        if (hooks.rewrite) res = await hooks.rewrite(url.pathname, res);
        seen.push(await seenExchange(request, res));
        return res;
      },
    });
    const indexedDB = new IDBFactory();
    const storage = () => dexieStorage({ name: 'weft', tables: counters.tables, indexedDB, IDBKeyRange });
    return {
      seen,
      transport,
      storage,
      async open(extra: { sync?: boolean; snapshotThreshold?: number } = {}) {
        const engine = await Engine.open({
          app: counters,
          storage: storage(),
          transport,
          scopes: [SCOPE],
          ...(extra.sync === undefined ? {} : { sync: extra.sync }),
          syncOptions: {
            backoff: { baseMs: 2, maxMs: 20 },
            ...(extra.snapshotThreshold === undefined ? {} : { snapshotThreshold: extra.snapshotThreshold }),
          },
        });
        engines.push(engine);
        return engine;
      },
    };
  }
  return { server, store, write, allEvents, client };
}

async function converged(engine: Engine<CounterApp>, allEvents: () => Promise<WireEvent[]>) {
  await until(() => engine.status().pending === 0, 'the outbox to drain', 15_000);
  const events = await allEvents();
  const truth = replay(counters, events).counters ?? [];
  const head = events.at(-1)?.seq ?? 0;
  await until(
    () => JSON.stringify(engine.query({ table: 'counters' })) === JSON.stringify(truth),
    'the client to equal a full replay',
    15_000,
  );
  await engine.flush();
  return { truth, head };
}

describe('snapshot bootstrap (G15)', () => {
  it('a new client of a long scope loads the snapshot, pulls only the events after it, and equals a full replay', async () => {
    const { server, write, allEvents, client } = setup();
    await write(1500);
    const fresh = client('ann');
    const engine = await fresh.open();
    await until(() => engine.status().online && engine.query({ table: 'counters' }).length === 30, 'the bootstrap');
    const snapshots = fresh.seen.filter((s) => s.path === '/v1/snapshot');
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]?.query.get('minHead')).toBe('1000');
    const at = snapshots[0]?.snapshot?.seq ?? -1;
    expect(at).toBe(1500);
    await write(40); // history goes on after the bootstrap, by live stream or pull
    const { truth, head } = await converged(engine, allEvents);
    expect(head).toBe(1540);
    const pulled = fresh.seen.flatMap((s) => s.events);
    expect(pulled.filter((e) => e.seq <= at)).toEqual([]);
    expect(fresh.seen.filter((s) => s.path === '/v1/pull').every((s) => Number(s.query.get('after')) >= at)).toBe(true);

    // The server's own projection rows agree: a snapshot asked now is the same full replay.
    const now = (await (
      await server.request(`/v1/snapshot?scope=${encodeURIComponent(SCOPE)}`, {
        headers: { authorization: 'Bearer user:ann' },
      })
    ).json()) as protocol.SnapshotResponse;
    expect(now.seq).toBe(head);
    expect(now.rows?.counters).toEqual(truth);

    // Stored: the rows and the cursor, and no event at or before the snapshot's seq.
    const stored = await fresh.storage().readEvents(SCOPE);
    expect(stored[0]?.seq).toBe(at + 1);
    expect(stored.at(-1)?.seq).toBe(head);

    // A reload serves the same rows from IndexedDB and never asks for a snapshot again.
    await engine.close();
    const reopened = await fresh.open();
    expect(reopened.query({ table: 'counters' })).toEqual(truth);
    await write(5);
    await converged(reopened, allEvents);
    expect(fresh.seen.filter((s) => s.path === '/v1/snapshot')).toHaveLength(1);
  }, 60_000);

  it('a short scope is pulled event by event from seq 1', async () => {
    const { write, allEvents, client } = setup();
    await write(50);
    const fresh = client('ann');
    const engine = await fresh.open();
    const { head } = await converged(engine, allEvents);
    const snapshots = fresh.seen.filter((s) => s.path === '/v1/snapshot');
    expect(snapshots.map((s) => s.snapshot?.rows)).toEqual([null]);
    expect(fresh.seen.flatMap((s) => s.events).map((e) => e.seq)).toEqual(
      Array.from({ length: head }, (_, i) => i + 1),
    );
    expect((await fresh.storage().readEvents(SCOPE)).map((e) => e.seq)[0]).toBe(1);
  });

  it('an older server without the route: the client pulls the whole stream, and asks once', async () => {
    const { write, allEvents, client } = setup({ withSnapshots: false });
    await write(1200);
    const fresh = client('ann');
    const engine = await fresh.open();
    const { head } = await converged(engine, allEvents);
    expect(fresh.seen.filter((s) => s.path === '/v1/snapshot').map((s) => s.status)).toEqual([404]);
    expect(fresh.seen.flatMap((s) => s.events)).toHaveLength(head);
  });

  it('a snapshot with a row the app refuses is not loaded: reported, and the events are pulled', async () => {
    const { write, allEvents, client } = setup();
    await write(1200);
    const fresh = client('ann', {
      rewrite: async (path, res) => {
        if (path !== '/v1/snapshot' || !res.ok) return res;
        const body = (await res.json()) as protocol.SnapshotResponse;
        return Response.json({
          ...body,
          rows: { counters: [...(body.rows?.counters ?? []), { id: 'bad', n: 'NaN' }] },
        });
      },
    });
    const engine = await fresh.open();
    const errors: string[] = [];
    engine.onStatus((status) => {
      if (status.lastError) errors.push(status.lastError.code);
    });
    const { head } = await converged(engine, allEvents);
    expect(errors).toContain('bad_response');
    expect(fresh.seen.flatMap((s) => s.events)).toHaveLength(head);
    expect(engine.query({ table: 'counters' }).some((row) => row.id === 'bad')).toBe(false);
  });

  // Pending commands and the snapshot race: the push may be answered before the snapshot is
  // taken (then the snapshot holds the commands' events) or after it. Each bump must count once.
  it.each([
    ['the push is answered before the snapshot', 'push-first'],
    ['the snapshot is taken before the push', 'snapshot-first'],
  ] as const)('pending commands are kept and rebased on the snapshot, applied once, when %s', async (_, order) => {
    const { write, allEvents, client } = setup();
    await write(1500);
    let releasePush: () => void = () => undefined;
    let releaseSnapshot: () => void = () => undefined;
    const pushGate = new Promise<void>((resolve) => {
      releasePush = resolve;
    });
    const snapshotGate = new Promise<void>((resolve) => {
      releaseSnapshot = resolve;
    });
    const fresh = client('bob', {
      before: async (path) => {
        if (path === '/v1/snapshot' && order === 'push-first') await snapshotGate;
        if (path === '/v1/push' && order === 'snapshot-first') await pushGate;
      },
      rewrite: async (path, res) => {
        if (path === '/v1/push' && order === 'push-first') setTimeout(releaseSnapshot, 20);
        if (path === '/v1/snapshot' && order === 'snapshot-first') setTimeout(releasePush, 20);
        return res;
      },
    });
    const engine = await fresh.open({ sync: false });
    const runs = [
      engine.execute('bump', { group: 'g', id: 'mine', by: 100 }),
      engine.execute('bump', { group: 'g', id: 'k1', by: 1000 }),
      engine.execute('bump', { group: 'g', id: 'mine', by: 5 }),
    ];
    await Promise.all(runs.map((run) => run.durable));
    expect(engine.query({ table: 'counters' }).find((row) => row.id === 'mine')?.n).toBe(105);
    engine.startSync();
    await Promise.all(runs.map((run) => run.confirmed));
    const { truth } = await converged(engine, allEvents);
    expect(truth.find((row) => row.id === 'mine')?.n).toBe(105);
    const snapshot = fresh.seen.find((s) => s.path === '/v1/snapshot')?.snapshot;
    // The order asked for really happened: the snapshot holds the commands' events, or not.
    expect(snapshot?.seq).toBe(order === 'push-first' ? 1503 : 1500);
  });

  it('bad input gets a typed error and changes nothing', async () => {
    const { server, store, write } = setup();
    await write(10);
    const before = await store.readEvents(SCOPE, 0, 1000);
    const get = async (query: string, token: string | null = 'user:ann') => {
      const res = await server.request(`/v1/snapshot${query}`, {
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
      return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
    };
    expect(await get('')).toEqual({ status: 400, code: 'bad_request' });
    expect(await get(`?scope=${SCOPE}&minHead=-1`)).toEqual({ status: 400, code: 'bad_request' });
    expect(await get(`?scope=${SCOPE}&minHead=abc`)).toEqual({ status: 400, code: 'bad_request' });
    expect(await get(`?scope=${'x'.repeat(300)}`)).toEqual({ status: 400, code: 'bad_request' });
    expect(await get(`?scope=${SCOPE}`, null)).toEqual({ status: 401, code: 'unauthorized' });
    expect(await get(`?scope=${SCOPE}`, 'user:eve')).toEqual({ status: 403, code: 'forbidden' });
    const ok = await server.request(`/v1/snapshot?scope=${SCOPE}&minHead=11`, {
      headers: { authorization: 'Bearer user:ann' },
    });
    expect(await ok.json()).toEqual({ scope: SCOPE, seq: 10, rows: null });
    expect(await store.readEvents(SCOPE, 0, 1000)).toEqual(before);
  });
});
