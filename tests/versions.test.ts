import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pullAll, replay } from '../client/testing/replay.ts';
import { demoAuth } from '../demo/auth.ts';
import { createServer } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import { type AnyApp, canonicalJson, defineApp } from '../shared/index.ts';
import { dexieStorage, Engine, MemoryTransport } from '../testing/index.ts';
import { listV1, listV3, poisoned } from './support/versioned-app.ts';

/**
 * Versions and poison on the client (TEST-PLAN V01–V04, G11, G12): engines on Dexie over
 * fake-indexeddb against the real server (in-process through `app.request`, real SQLite),
 * whose app version can change under them as a deploy would.
 */
const A = 'list:a';
const B = 'list:b';
const TIMEOUT = 20_000;
const engines: Engine[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

/** A deployment: one store, and the server app in front of it, which a deploy replaces. */
function deployment(app: AnyApp, minAppVersion = 0) {
  const store = sqliteStore({ file: ':memory:' });
  const make = (next: AnyApp, min: number) =>
    createServer({ app: next, store, auth: demoAuth({ adminToken: 'admin' }), minAppVersion: min });
  let server = make(app, minAppVersion);
  return {
    store,
    handle: async (request: Request) => server.request(request),
    deploy(next: AnyApp, min: number) {
      server = make(next, min);
    },
  };
}
type Deployment = ReturnType<typeof deployment>;

/** A browser profile: one IndexedDB; each `open(app)` is a page load with that app's code. */
function profile(server: Deployment, user = 'ann', scopes = [A]) {
  const indexedDB = new IDBFactory();
  const transport = new MemoryTransport(server.handle, { auth: `demo:${user}` });
  return {
    transport,
    storage: (app: AnyApp) => dexieStorage({ name: 'weft', tables: app.tables, indexedDB, IDBKeyRange }),
    async open(app: AnyApp): Promise<Engine> {
      const storage = this.storage(app);
      const engine = await Engine.open({
        app,
        storage,
        transport,
        scopes,
        syncOptions: { backoff: { baseMs: 2, maxMs: 20 } },
      });
      engines.push(engine);
      return engine;
    },
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The scope's events on the server, and its projections replayed with `app`. */
async function truth(transport: MemoryTransport, app: AnyApp, scope = A) {
  const events = await pullAll(transport, scope);
  return { events, items: replay(app, events).items ?? [] };
}

const items = (engine: Engine, listId = 'a') => engine.query({ table: 'items', where: { listId } });

describe('versions', () => {
  it('V01 old-client-upcast: commands kept through a 426 are pushed upcast after the upgrade, once each', async () => {
    const server = deployment(listV1);
    const ann = profile(server);
    const v1 = await ann.open(listV1);
    await v1.execute('add', { listId: 'a', itemId: 'i1', text: 'one' }).confirmed;

    ann.transport.goOffline();
    const kept = [
      v1.execute('add', { listId: 'a', itemId: 'i2', text: 'two' }),
      v1.execute('add', { listId: 'a', itemId: 'i3', text: 'three' }),
    ];
    await Promise.all(kept.map((command) => command.durable));
    server.deploy(listV3, 3); // v1 and v2 clients are refused from now on
    ann.transport.goOnline();
    v1.setOnline(true);
    await until(() => v1.status().upgradeRequired, '"update required"');
    expect(v1.status()).toMatchObject({ pending: 2, lastError: { code: 'upgrade_required' } });
    // Still usable offline-first while blocked: a new command runs locally and is kept too.
    await v1.execute('add', { listId: 'a', itemId: 'i4', text: 'four' }).durable;
    expect(items(v1).map((item) => item.itemId)).toEqual(['i1', 'i2', 'i3', 'i4']);
    expect((await pullAll(ann.transport, A)).length).toBe(1); // the 426 stored nothing
    await v1.close();

    const v3 = await ann.open(listV3); // the page reloads with the new release
    expect(v3.pending().map(({ name, args }) => [name, args])).toEqual([
      ['addItem', { listId: 'a', itemId: 'i2', title: 'two', priority: 0 }],
      ['addItem', { listId: 'a', itemId: 'i3', title: 'three', priority: 0 }],
      ['addItem', { listId: 'a', itemId: 'i4', title: 'four', priority: 0 }],
    ]);
    await until(() => v3.status().pending === 0, 'the kept commands to be confirmed');
    expect(v3.status().upgradeRequired).toBe(false);
    // The queue is not wedged: a new command goes through at once.
    await v3.execute('addItem', { listId: 'a', itemId: 'i5', title: 'five', priority: 2 }).confirmed;

    const { events, items: serverItems } = await truth(ann.transport, listV3);
    expect(events.map((event) => event.data)).toEqual([
      { listId: 'a', itemId: 'i1', text: 'one' },
      { listId: 'a', itemId: 'i2', text: 'two', priority: 0 },
      { listId: 'a', itemId: 'i3', text: 'three', priority: 0 },
      { listId: 'a', itemId: 'i4', text: 'four', priority: 0 },
      { listId: 'a', itemId: 'i5', text: 'five', priority: 2 },
    ]);
    expect(new Set(events.map((event) => event.commandId)).size).toBe(5); // each applied once
    await until(() => items(v3).length === 5, 'the last confirmation');
    expect(items(v3)).toEqual(serverItems);
  });

  it('V01 window: a client inside the accepted window pushes its own form; the server upcasts it, and a resend is a duplicate', async () => {
    const server = deployment(listV3, 1);
    const ann = profile(server);
    const v1 = await ann.open(listV1);
    ann.transport.dropNextPushReply(); // the first answer is lost: the same v1 command is sent again
    await v1.execute('add', { listId: 'a', itemId: 'i1', text: 'one' }).confirmed;
    const { events, items: serverItems } = await truth(ann.transport, listV3);
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toEqual({ listId: 'a', itemId: 'i1', text: 'one', priority: 0 });
    expect(items(v1)).toEqual(serverItems);
    const audit = await server.store.queryAudit({ limit: 10 });
    expect(audit.records.map((record) => [record.name, record.args])).toEqual([
      ['addItem', { listId: 'a', itemId: 'i1', title: 'one', priority: 0 }],
    ]);
  });

  it('V01 after a redeploy: a resend in the upcast form matches what an older server stored', async () => {
    const server = deployment(listV1);
    const ann = profile(server);
    ann.transport.goOffline();
    const v1 = await ann.open(listV1);
    await v1.execute('add', { listId: 'a', itemId: 'i1', text: 'one' }).durable;
    await v1.close();
    // The push reached the v1 server, which stored it, but its answer was lost with the page.
    const { clientId, outbox } = await ann.storage(listV1).load({ scopes: [A], newClientId: () => 'unused' });
    const [record] = outbox;
    if (!record) throw new Error('the command was not kept');
    ann.transport.goOnline();
    const { id, seq, name, args, at, baseSeq, digest } = record;
    const first = await ann.transport.push({
      clientId,
      appVersion: 1,
      commands: [{ id, seq, name, args, at, baseSeq, digest }],
    });
    expect(first).toMatchObject({ ok: true, value: { results: [{ id, status: 'applied' }] } });

    server.deploy(listV3, 1);
    const v3 = await ann.open(listV3); // upcast locally to v3; the store holds the v1 `add`
    expect(v3.pending()).toMatchObject([{ id, name: 'addItem' }]);
    await until(() => v3.status().pending === 0, 'the resend to settle');
    expect(v3.rejections()).toEqual([]); // a duplicate, not an idempotency_conflict
    expect(v3.commandState(id)).toBe('confirmed');
    expect(await pullAll(ann.transport, A)).toHaveLength(1);
    expect((await server.store.queryAudit({ limit: 10 })).records).toHaveLength(1);
  });

  it('V02 new-event-on-old-client: stored, scope marked stale, queries served; after the upgrade it replays and converges', async () => {
    const server = deployment(listV3, 1);
    const ann = profile(server, 'ann', [A, B]);
    const bob = profile(server, 'bob', [A]);
    const old = await ann.open(listV1);
    await old.execute('add', { listId: 'a', itemId: 'i1', text: 'one' }).confirmed;
    await old.execute('add', { listId: 'b', itemId: 'j1', text: 'other' }).confirmed;
    const newer = await bob.open(listV3);
    await until(() => items(newer).length === 1, 'bob to catch up');
    await newer.execute('tag', { listId: 'a', itemId: 'i1', tag: 'urgent' }).confirmed;
    await newer.execute('addItem', { listId: 'a', itemId: 'i2', title: 'two', priority: 1 }).confirmed;

    await until(() => items(old).length === 2, 'the old client to receive the new events');
    expect(old.status().stale).toEqual([A]);
    expect(old.status().lastError).toMatchObject({ code: 'invalid_event' });
    // The tag is not shown (this code cannot), everything else is, and it keeps working.
    expect(items(old).map((item) => [item.itemId, item.tag])).toEqual([
      ['i1', null],
      ['i2', null],
    ]);
    await old.execute('add', { listId: 'b', itemId: 'j2', text: 'still works' }).confirmed;
    await old.flush();
    const stored = await ann.storage(listV1).readEvents(A);
    expect(stored.map((event) => event.type)).toEqual(['added', 'tagged', 'added']);
    await old.close();

    const reloadedOld = await ann.open(listV1); // a reload with the same old code: still stale, no crash
    expect(reloadedOld.status().stale).toEqual([A]);
    await reloadedOld.close();

    const upgraded = await ann.open(listV3);
    expect(upgraded.status().stale).toEqual([]);
    const { items: serverItems } = await truth(ann.transport, listV3);
    expect(items(upgraded)).toEqual(serverItems);
    expect(items(upgraded).find((item) => item.itemId === 'i1')?.tag).toBe('urgent');
    expect(items(upgraded, 'b')).toEqual((await truth(ann.transport, listV3, B)).items);
  });

  it('V02 snapshot-bootstrapped scope: without its early events it is re-bootstrapped from the server, pending commands kept', async () => {
    const server = deployment(listV3, 1);
    const ann = profile(server);
    const old = await ann.open(listV1);
    for (const n of [1, 2, 3]) await old.execute('add', { listId: 'a', itemId: `i${n}`, text: `${n}` }).confirmed;
    await old.close();
    // As a snapshot bootstrap leaves it: rows and cursor at 3, but only event 3 stored.
    const storage = ann.storage(listV1);
    const { rows } = await storage.load({ scopes: [A], newClientId: () => 'unused' });
    const events = await storage.readEvents(A);
    await storage.commit({ resetScopes: [A], events: events.slice(2), rows, cursors: { [A]: 3 } });
    await storage.close();
    ann.transport.goOffline();
    const offline = await ann.open(listV1);
    await offline.execute('add', { listId: 'a', itemId: 'i4', text: '4' }).durable;
    await offline.close();

    ann.transport.goOnline();
    const upgraded = await ann.open(listV3);
    expect(upgraded.pending().map((command) => command.name)).toEqual(['addItem']);
    await until(() => upgraded.status().pending === 0, 'the kept command to be confirmed');
    await upgraded.flush();
    const { items: serverItems, events: serverEvents } = await truth(ann.transport, listV3);
    await until(() => canonicalJson(items(upgraded)) === canonicalJson(serverItems), 'convergence');
    expect(serverItems.map((item) => item.itemId)).toEqual(['i1', 'i2', 'i3', 'i4']);
    expect((await ann.storage(listV3).readEvents(A)).map((event) => event.seq)).toEqual(
      serverEvents.map((event) => event.seq),
    );
  });

  it('V03 poison-command: a pending command that now throws is rejected internal on the server with an error id; later commands proceed', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const server = deployment(listV3);
    const ann = profile(server);
    const bob = profile(server, 'bob');
    const engine = await ann.open(listV3);
    await engine.execute('addItem', { listId: 'a', itemId: 'i1', title: 'one', priority: 0 }).confirmed;
    ann.transport.goOffline();
    const risky = engine.execute('risky', { listId: 'a', itemId: 'r1' }); // fine on today's state
    const after = engine.execute('addItem', { listId: 'a', itemId: 'i2', title: 'two', priority: 0 });
    await after.durable;
    const other = await bob.open(listV3);
    await other.execute('addItem', { listId: 'a', itemId: 'trap', title: 'trap', priority: 0 }).confirmed;

    ann.transport.goOnline();
    engine.setOnline(true);
    await expect(risky.confirmed).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/error id err-[0-9a-f]{8}/),
    });
    await after.confirmed;
    await until(() => engine.status().pending === 0, 'the outbox to drain');
    const errorId = /err-[0-9a-f]{8}/.exec(engine.rejections()[0]?.message ?? '')?.[0];
    expect(errorId).toBeDefined();
    expect(errors.mock.calls.some((call) => String(call[0]).includes(errorId ?? '?'))).toBe(true);
    expect(String(engine.rejections()[0]?.message)).not.toContain('trap'); // the exception stays on the server
    await engine.execute('addItem', { listId: 'a', itemId: 'i3', title: 'three', priority: 0 }).confirmed;
    const { items: serverItems } = await truth(ann.transport, listV3);
    expect(serverItems.map((item) => item.itemId)).toEqual(['i1', 'i2', 'i3', 'trap']);
    await until(() => items(engine).length === 4, 'convergence');
    expect(items(engine)).toEqual(serverItems);
  });

  it('V03 a command whose handler throws locally is refused at once and takes no seq', async () => {
    const server = deployment(listV3);
    const ann = profile(server);
    const engine = await ann.open(listV3);
    await engine.execute('addItem', { listId: 'a', itemId: 'trap', title: 'trap', priority: 0 }).confirmed;
    const thrown = engine.execute('risky', { listId: 'a', itemId: 'r1' });
    await expect(thrown.applied).rejects.toMatchObject({ code: 'internal' });
    const next = engine.execute('addItem', { listId: 'a', itemId: 'i1', title: 'one', priority: 0 });
    await next.confirmed;
    expect(engine.status().pending).toBe(0);
  });

  it('V04 poison-event-projection: the scope is quarantined at the event, other scopes advance, no crash loop, fixed code replays', async () => {
    const server = deployment(listV3);
    const buggy = poisoned(listV3);
    const fixed = defineApp({ ...listV3, version: 4 });
    server.deploy(fixed, 0);
    const ann = profile(server, 'ann', [A, B]);
    const bob = profile(server, 'bob', [A, B]);
    const victim = await ann.open(buggy.app);
    const writer = await bob.open(fixed);
    for (const [listId, itemId, title] of [
      ['a', 'i1', 'fine'],
      ['a', 'i2', 'poison'],
      ['a', 'i3', 'after'],
      ['b', 'j1', 'other scope'],
    ] as const) {
      await writer.execute('addItem', { listId, itemId, title, priority: 0 }).confirmed;
    }
    await until(() => items(victim, 'b').length === 1, 'the other scope to advance');
    await until(() => victim.status().quarantined.length === 1, 'the quarantine');
    expect(victim.status().quarantined).toEqual([
      { kind: 'quarantined', scope: A, seq: 2, type: 'added', message: 'the added projection broke on poison' },
    ]);
    expect(victim.status().lastError).toMatchObject({ code: 'projection_quarantined' });
    expect(items(victim).map((item) => item.itemId)).toEqual(['i1']); // as before event 2, nothing half-applied
    await victim.flush();
    expect((await ann.storage(buggy.app).readEvents(A)).map((event) => event.seq)).toEqual([1, 2, 3]); // kept, not skipped
    await victim.close();

    const calls = buggy.calls();
    const reloaded = await ann.open(buggy.app); // same bug: no replay, no crash, still quarantined
    expect(buggy.calls()).toBe(calls);
    expect(reloaded.status().quarantined).toMatchObject([{ scope: A, seq: 2 }]);
    expect(items(reloaded).map((item) => item.itemId)).toEqual(['i1']);
    await writer.execute('addItem', { listId: 'b', itemId: 'j2', title: 'more', priority: 0 }).confirmed;
    await until(() => items(reloaded, 'b').length === 2, 'the other scope to keep advancing');
    await reloaded.close();

    const repaired = await ann.open(fixed);
    expect(repaired.status().quarantined).toEqual([]);
    expect(items(repaired)).toEqual((await truth(ann.transport, fixed)).items);
    expect(items(repaired, 'b')).toEqual((await truth(ann.transport, fixed, B)).items);
  });
});

describe('an outbox written before versions were recorded', () => {
  it('V06 reads it as version 1 and upcasts it; the Dexie schema is unchanged', async () => {
    const server = deployment(listV3, 1);
    const ann = profile(server);
    const storage = ann.storage(listV1);
    const { clientId } = await storage.load({ scopes: [A], newClientId: () => 'old-client' });
    // Exactly what the previous release wrote: no `version`, no scope meta.
    await storage.commit({
      outbox: [
        {
          seq: 1,
          id: 'old-1',
          name: 'add',
          args: { listId: 'a', itemId: 'i1', text: 'one' },
          at: 1,
          scope: A,
          baseSeq: 0,
          digest: 'x',
        },
      ],
      lastSeq: 1,
    });
    await storage.close();
    const engine = await ann.open(listV3);
    expect(engine.clientId).toBe(clientId);
    expect(engine.pending()).toMatchObject([{ name: 'addItem', args: { title: 'one', priority: 0 } }]);
    await until(() => engine.status().pending === 0, 'the old command to be confirmed');
    expect((await truth(ann.transport, listV3)).items.map((item) => item.itemId)).toEqual(['i1']);
  });
});
