import { afterEach, describe, expect, it, vi } from 'vitest';
import { demoAuth } from '../demo/auth.ts';
import { createServer, type EventStore } from '../server/index.ts';
import { sqliteStore } from '../server/sqlite.ts';
import type { AnyApp, PushCommand, PushResponse } from '../shared/index.ts';
import type { ErrorJson } from './support/http.ts';
import { listV3, poisoned } from './support/versioned-app.ts';

/**
 * The server side of poison (TEST-PLAN V03, V04, G11): the real Hono app and push pipeline on
 * real SQLite, called in-process. A throwing command settles alone; a scope whose stored events
 * cannot be replayed is quarantined alone.
 */
afterEach(() => {
  vi.restoreAllMocks();
});

function serverOn(app: AnyApp, store: EventStore = sqliteStore({ file: ':memory:' })) {
  const server = createServer({ app, store, auth: demoAuth({ adminToken: 'admin' }) });
  const call = async (path: string, init: RequestInit = {}, token = 'demo:ann') => {
    const res = await server.request(path, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    return { status: res.status, text: await res.text() };
  };
  return {
    store,
    async push(clientId: string, commands: PushCommand[]) {
      const res = await call('/v1/push', { method: 'POST', body: JSON.stringify({ clientId, commands }) });
      return { status: res.status, json: JSON.parse(res.text) as PushResponse & ErrorJson };
    },
    metrics: async () => (await call('/metrics', {}, 'admin')).text,
  };
}

function commands(clientId: string) {
  let seq = 1;
  return (name: string, args: unknown): PushCommand => {
    const n = seq++;
    return { id: `${clientId}-${n}`, seq: n, name, args, at: 1_700_000_000_000 + n, baseSeq: 0 };
  };
}
const add = (listId: string, itemId: string, title: string) => ({ listId, itemId, title, priority: 0 });

describe('poison on the server', () => {
  it('V03 poison-command: a throwing handler is rejected internal with an error id, logged, processed; later commands proceed', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const server = serverOn(listV3);
    const next = commands('c1');
    const batch = [
      next('addItem', add('a', 'trap', 'T')),
      next('risky', { listId: 'a', itemId: 'r' }),
      next('addItem', add('a', 'i2', 'two')),
    ];
    const first = await server.push('c1', batch);
    expect(first.status).toBe(200);
    expect(first.json.results.map((result) => result.status)).toEqual(['applied', 'rejected', 'applied']);
    const poison = first.json.results[1];
    expect(poison).toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/^risky failed on the server \(error id err-[0-9a-f]{8}\)$/),
    });
    const errorId = /err-[0-9a-f]{8}/.exec(poison?.message ?? '')?.[0] ?? 'missing';
    const logged = errors.mock.calls.map((call) => String(call[0])).filter((line) => line.includes(errorId));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('risky broke on the trap'); // the exception stays in the log
    expect(poison?.message).not.toContain('trap');

    // Processed: a resend is answered from the store, and does not run it again.
    const again = await server.push('c1', batch);
    expect(again.json.results[1]).toEqual({ ...poison, duplicate: true });
    expect(errors.mock.calls.filter((call) => String(call[0]).includes('threw'))).toHaveLength(1);
    const later = await server.push('c1', [next('addItem', add('a', 'i3', 'three'))]);
    expect(later.json.results[0]?.status).toBe('applied');
    const { events } = await server.store.readEvents('list:a', 0, 100);
    expect(events.map((event) => (event.data as { itemId: string }).itemId)).toEqual(['trap', 'i2', 'i3']);
    const audit = await server.store.queryAudit({ limit: 10 });
    expect(audit.records.find((record) => record.name === 'risky')).toMatchObject({
      outcome: 'rejected',
      code: 'internal',
    });
  });

  it('V04 a command whose own fresh event throws in a projection is rejected internal, and nothing of it is stored', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const server = serverOn(poisoned(listV3).app);
    const next = commands('c1');
    const res = await server.push('c1', [
      next('addItem', add('a', 'p', 'poison')),
      next('addItem', add('a', 'ok', 'fine')),
    ]);
    expect(res.json.results.map((result) => [result.status, result.code])).toEqual([
      ['rejected', 'internal'],
      ['applied', undefined],
    ]);
    const { events } = await server.store.readEvents('list:a', 0, 100);
    expect(events.map((event) => (event.data as { itemId: string }).itemId)).toEqual(['ok']);
  });

  it('V04 poison-event-projection: a scope whose stored events cannot be replayed is quarantined; other scopes work; no replay loop', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const store = sqliteStore({ file: ':memory:' });
    const good = serverOn(listV3, store);
    const next = commands('c1');
    await good.push('c1', [
      next('addItem', add('a', 'i1', 'one')),
      next('addItem', add('a', 'i2', 'poison')),
      next('addItem', add('b', 'j1', 'b')),
    ]);

    // A release with a projection bug starts on that store: its cache must rebuild list:a.
    const buggy = poisoned(listV3);
    const server = serverOn(buggy.app, store);
    const before = await store.readEvents('list:a', 0, 100);
    const toA = commands('c2')('addItem', add('a', 'i3', 'three'));
    const refused = await server.push('c2', [toA]);
    expect(refused.status).toBe(500);
    expect(refused.json.error).toMatchObject({
      code: 'internal',
      message: 'scope list:a is quarantined: its projection failed on event 2 (added)',
      scope: 'list:a',
      seq: 2,
    });
    expect(await store.readEvents('list:a', 0, 100)).toEqual(before);
    expect(errors.mock.calls.map((call) => String(call[0]))).toContain(
      'weft: scope quarantined: list:a at seq 2 (added): the added projection broke on poison',
    );

    // Other scopes keep working; the quarantined one answers at once, without replaying again.
    const other = await server.push('c3', [commands('c3')('addItem', add('b', 'j2', 'two'))]);
    expect(other.status).toBe(200);
    expect(other.json.results[0]?.status).toBe('applied');
    const calls = buggy.calls();
    const retried = await server.push('c2', [toA]);
    expect(retried.status).toBe(500);
    expect(buggy.calls()).toBe(calls); // list:a was not replayed again
    expect(await server.metrics()).toContain('weft_scope_quarantined{scope="list:a",seq="2",type="added"} 1');
  });
});
