import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientStorage } from '../storage/index.ts';
import { memoryStorage } from '../storage/index.ts';
import { MemoryTransport } from '../sync/index.ts';
import { fakeServer, openClient, until } from '../testing/harness.ts';
import { type TodoApp, todo } from '../testing/todo-app.ts';
import type { Engine } from './engine.ts';

const engines: Engine<TodoApp>[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

async function client(...args: Parameters<typeof openClient<TodoApp>>) {
  const opened = await openClient<TodoApp>(...args);
  engines.push(opened.engine);
  return opened;
}

const item = (itemId: string, text = itemId, done = false) => ({ itemId, listId: 'a', text, done });

describe('Engine: execute', () => {
  it('applies at once, becomes durable, then is confirmed by the server', async () => {
    const server = fakeServer();
    const { engine } = await client(server);
    const run = engine.execute('add', { listId: 'a', itemId: 'i1', text: 'milk' });
    expect(engine.query({ table: 'items' })).toEqual([item('i1', 'milk')]);
    expect(engine.commandState(run.id)).toBe('pending');
    await run.applied;
    await run.durable;
    await run.confirmed;
    expect(engine.commandState(run.id)).toBe('confirmed');
    await until(() => engine.status().pending === 0, 'no pending command');
    expect(server.dump('list:a')).toEqual({ items: engine.query({ table: 'items' }) });
  });

  it('rejects locally without consuming a seq or touching the outbox', async () => {
    const server = fakeServer();
    const { engine, transport } = await client(server);
    transport.goOffline();
    const seqs = [];
    const unknown = engine.submit(crypto.randomUUID(), 'nope', {});
    const invalid = engine.execute('add', { listId: 'a', itemId: 'i1' } as never);
    engine.execute('add', { listId: 'a', itemId: 'i1', text: 'x' });
    const duplicate = engine.execute('add', { listId: 'a', itemId: 'i1', text: 'again' });
    seqs.push(engine.submit(crypto.randomUUID(), 'add', { listId: 'a', itemId: 'i2', text: 'y' }));
    expect(unknown).toMatchObject({ ok: false, code: 'unknown_command' });
    await expect(invalid.applied).rejects.toMatchObject({ name: 'CommandError', code: 'bad_request' });
    await expect(duplicate.applied).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(duplicate.confirmed).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(seqs).toEqual([expect.objectContaining({ ok: true, seq: 2 })]);
    expect(engine.pending().map((p) => p.seq)).toEqual([1, 2]);
  });

  it('refuses a command on a scope it does not sync', async () => {
    const { engine } = await client(fakeServer());
    expect(engine.submit(crypto.randomUUID(), 'add', { listId: 'zzz', itemId: 'i', text: '' })).toMatchObject({
      ok: false,
      code: 'scope_not_synced',
    });
  });

  it('commits the commands of one macrotask in one transaction', async () => {
    const storage = memoryStorage({ tables: todo.tables });
    const commit = vi.spyOn(storage, 'commit');
    const { engine, transport } = await client(fakeServer(), { storage });
    transport.goOffline();
    const runs = [1, 2, 3].map((n) => engine.execute('add', { listId: 'a', itemId: `i${n}`, text: '' }));
    await Promise.all(runs.map((run) => run.durable));
    const appends = commit.mock.calls.filter(([change]) => change.outbox);
    expect(appends).toHaveLength(1);
    expect(appends[0]?.[0]).toMatchObject({ lastSeq: 3, outbox: [{ seq: 1 }, { seq: 2 }, { seq: 3 }] });
  });

  it('writes a confirmation with its events, rows, cursor, outbox trim and record in one commit', async () => {
    const storage = memoryStorage({ tables: todo.tables });
    const commit = vi.spyOn(storage, 'commit');
    const { engine } = await client(fakeServer(), { storage });
    await engine.execute('add', { listId: 'a', itemId: 'i1', text: '' }).confirmed;
    const confirmation = commit.mock.calls.map(([change]) => change).find((change) => change.trim);
    expect(confirmation).toMatchObject({
      events: [{ seq: 1, type: 'added' }],
      rows: [{ table: 'items', scope: 'list:a', key: 'i1' }],
      cursors: { 'list:a': 1 },
      trim: [1],
      settled: [{ status: 'confirmed', seq: 1 }],
    });
  });

  it('keeps every durable command across a reload, and pushes it later', async () => {
    const server = fakeServer();
    const storage = memoryStorage({ tables: todo.tables });
    const offline = new MemoryTransport(server.handle);
    offline.goOffline();
    const first = await client(server, { storage, transport: offline });
    first.engine.execute('add', { listId: 'a', itemId: 'i1', text: 'one' });
    await first.engine.execute('rename', { listId: 'a', itemId: 'i1', text: 'uno' }).durable;
    await first.engine.close();

    const second = await client(server, { storage, transport: offline });
    expect(second.engine.pending().map(({ seq, name }) => [seq, name])).toEqual([
      [1, 'add'],
      [2, 'rename'],
    ]);
    expect(second.engine.query({ table: 'items' })).toEqual([item('i1', 'uno')]);
    expect(second.engine.execute('toggle', { listId: 'a', itemId: 'i1' })).toBeTruthy();
    offline.goOnline();
    second.engine.setOnline(true);
    await until(() => second.engine.status().pending === 0, 'drained');
    expect(server.dump('list:a')).toEqual({ items: [item('i1', 'uno', true)] });
  });

  it('runs a command under the id its caller chose, and gives its lifecycle to listeners as plain data', async () => {
    const { engine } = await client(fakeServer());
    const updates: unknown[] = [];
    const args = { listId: 'a', itemId: 'i1', text: '' };
    const submitted = engine.submit('chosen-1', 'add', args, (update) => updates.push(update));
    expect(submitted).toEqual({ ok: true, id: 'chosen-1', seq: 1 });
    expect(engine.pending().map((command) => command.id)).toEqual(['chosen-1']);
    await until(() => updates.length === 2, 'two updates');
    expect(updates).toEqual([
      { id: 'chosen-1', stage: 'durable' },
      { id: 'chosen-1', stage: 'confirmed' },
    ]);
  });
});

describe('Engine: queries', () => {
  it('filters, orders and limits over the optimistic state', async () => {
    const { engine, transport } = await client(fakeServer());
    transport.goOffline();
    for (const [id, text] of [
      ['b', 'x'],
      ['a', 'z'],
      ['c', 'y'],
    ] as const) {
      engine.execute('add', { listId: 'a', itemId: id, text });
    }
    engine.execute('toggle', { listId: 'a', itemId: 'c' });
    expect(engine.query({ table: 'items' }).map((r) => r.itemId)).toEqual(['a', 'b', 'c']);
    expect(engine.query({ table: 'items', orderBy: 'text' }).map((r) => r.itemId)).toEqual(['b', 'c', 'a']);
    const desc = engine.query({ table: 'items', orderBy: { field: 'text', direction: 'desc' }, limit: 2 });
    expect(desc.map((r) => r.itemId)).toEqual(['a', 'c']);
    expect(engine.query({ table: 'items', where: { done: true } })).toEqual([item('c', 'y', true)]);
    expect(engine.query({ table: 'items', scope: 'list:b' })).toEqual([]);
    expect(() => engine.query({ table: 'nope' as 'items' })).toThrow(/unknown table/u);
    // An order no declared index keeps is refused, naming the index to declare, rather than sorted by a scan.
    expect(() => engine.query({ table: 'items', where: { listId: 'a' }, orderBy: 'text' })).toThrow(
      "declare indexes: [['listId', 'text']]",
    );
  });

  it('calls subscribers at once, after each change, and never for an unchanged result', async () => {
    const server = fakeServer();
    const { engine } = await client(server);
    const seen: string[][] = [];
    engine.subscribe({ table: 'items', where: { done: false } }, (rows) => seen.push(rows.map((r) => r.itemId)));
    expect(seen).toEqual([[]]);
    const run = engine.execute('add', { listId: 'a', itemId: 'i1', text: '' });
    engine.execute('add', { listId: 'a', itemId: 'i2', text: '' });
    await Promise.resolve();
    expect(seen).toEqual([[], ['i1', 'i2']]);
    await run.confirmed;
    await until(() => engine.status().pending === 0, 'confirmed');
    engine.execute('toggle', { listId: 'a', itemId: 'i2' });
    await until(() => seen.length === 3, 'toggle seen');
    await until(() => engine.status().pending === 0, 'confirmed');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual([[], ['i1', 'i2'], ['i1']]);
  });
});

describe('Engine: live queries', () => {
  it('keeps live results equal to a re-run through local commands, other clients’ events and rebases', async () => {
    const server = fakeServer();
    const ann = await client(server);
    const bob = await client(server);
    const queries = [
      { table: 'items', orderBy: 'text', limit: 2 },
      { table: 'items', orderBy: { field: 'text', direction: 'desc' }, limit: 1 },
      { table: 'items', where: { done: false }, limit: 2 },
      { table: 'items', where: { listId: 'a' } },
    ] as const;
    const latest: unknown[][] = queries.map(() => []);
    queries.forEach((query, i) => {
      bob.engine.subscribe(query, (rows) => {
        latest[i] = rows;
      });
    });
    const same = async (when: string) => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      queries.forEach((query, i) => {
        expect(latest[i], `${when}: ${JSON.stringify(query)}`).toEqual(bob.engine.query(query));
      });
    };
    await ann.engine.execute('add', { listId: 'a', itemId: 'a1', text: 'm' }).confirmed;
    await until(() => bob.engine.query({ table: 'items' }).length === 1, 'bob sees a1');
    await same('after another client’s event');
    bob.transport.goOffline();
    bob.engine.execute('add', { listId: 'a', itemId: 'b1', text: 'c' });
    bob.engine.execute('rename', { listId: 'a', itemId: 'a1', text: 'z' });
    bob.engine.execute('toggle', { listId: 'a', itemId: 'b1' });
    // Fits locally (3 items), but not after ann's a2: rejected, it leaves no confirmed row behind.
    const late = bob.engine.execute('add', { listId: 'a', itemId: 'b2', text: 'a' });
    await same('after local commands');
    await ann.engine.execute('add', { listId: 'a', itemId: 'a2', text: 'a' }).confirmed;
    await ann.engine.execute('rename', { listId: 'a', itemId: 'a1', text: 'b' }).confirmed;
    bob.transport.goOnline();
    bob.engine.setOnline(true);
    await expect(late.confirmed).rejects.toMatchObject({ code: 'LIMIT' });
    await until(() => bob.engine.status().pending === 0, 'bob drained');
    await until(() => bob.engine.query({ table: 'items' }).length === 3, 'bob converges');
    await same('after the rebase, a rejection and confirmations');
  });
});

describe('Engine: rebase and rejection', () => {
  it('rebases pending commands on another client’s events, and drops one the server rejects', async () => {
    const server = fakeServer();
    const ann = await client(server);
    const bob = await client(server);
    await ann.engine.execute('add', { listId: 'a', itemId: 'shared', text: 'shared' }).confirmed;
    await until(() => bob.engine.query({ table: 'items' }).length === 1, 'bob sees the item');

    bob.transport.goOffline();
    const rename = bob.engine.execute('rename', { listId: 'a', itemId: 'shared', text: 'bob' });
    const late = bob.engine.execute('add', { listId: 'a', itemId: 'bob1', text: 'late' });
    await Promise.all([ann.engine.execute('add', { listId: 'a', itemId: 'ann1', text: '' }).confirmed]);
    await ann.engine.execute('add', { listId: 'a', itemId: 'ann2', text: '' }).confirmed;
    expect(bob.engine.query({ table: 'items' }).map((r) => r.itemId)).toEqual(['bob1', 'shared']);

    const rejected: unknown[] = [];
    bob.engine.onRejected((rejection) => rejected.push(rejection));
    bob.transport.goOnline();
    bob.engine.setOnline(true);
    await expect(late.confirmed).rejects.toMatchObject({ code: 'LIMIT' });
    await rename.confirmed;
    await until(() => bob.engine.status().pending === 0, 'bob drained');
    expect(bob.engine.query({ table: 'items' })).toEqual([item('ann1', ''), item('ann2', ''), item('shared', 'bob')]);
    expect(rejected).toEqual([
      expect.objectContaining({ id: late.id, code: 'LIMIT', name: 'add', status: 'rejected' }),
    ]);
    expect(bob.engine.rejections()).toHaveLength(1);
    expect(bob.engine.commandState(late.id)).toBe('rejected');
    await until(() => ann.engine.query({ table: 'items' }).length === 3, 'ann converges');
    expect(ann.engine.query({ table: 'items' })).toEqual(bob.engine.query({ table: 'items' }));
  });

  it('keeps a pending command that now fails locally, without its effect, until the server settles it', async () => {
    const server = fakeServer();
    const ann = await client(server);
    const bob = await client(server);
    await ann.engine.execute('add', { listId: 'a', itemId: 'x', text: '' }).confirmed;
    await until(() => bob.engine.query({ table: 'items' }).length === 1, 'bob sees x');
    bob.transport.failNextPush(1_000_000); // bob's pushes fail, his live stream still works
    const toggle = bob.engine.execute('toggle', { listId: 'a', itemId: 'x' });
    expect(bob.engine.query({ table: 'items' })).toEqual([item('x', '', true)]);
    await ann.engine.execute('remove', { listId: 'a', itemId: 'x' }).confirmed;
    await until(() => bob.engine.query({ table: 'items' }).length === 0, 'the removal reaches bob');
    expect(bob.engine.commandState(toggle.id)).toBe('pending');
    expect(bob.engine.pending()).toEqual([expect.objectContaining({ id: toggle.id, failing: true })]);
    bob.transport.failNextPush(0);
    bob.engine.setOnline(true);
    await expect(toggle.confirmed).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(bob.engine.pending()).toEqual([]);
  });

  it('keeps rejections until dismissed, across reloads', async () => {
    const server = fakeServer();
    const storage: ClientStorage = memoryStorage({ tables: todo.tables });
    const first = await client(server, { storage });
    await first.engine.execute('add', { listId: 'a', itemId: 'x', text: '' }).confirmed;
    first.transport.goOffline();
    // Valid here, refused by the server: another client removed it meanwhile.
    const other = await client(server);
    await until(() => other.engine.query({ table: 'items' }).length === 1, 'the other client sees x');
    await other.engine.execute('remove', { listId: 'a', itemId: 'x' }).confirmed;
    const toggle = first.engine.execute('toggle', { listId: 'a', itemId: 'x' });
    first.transport.goOnline();
    first.engine.setOnline(true);
    await expect(toggle.confirmed).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await first.engine.close();

    const again = await client(server, { storage });
    expect(again.engine.rejections()).toEqual([expect.objectContaining({ id: toggle.id, code: 'NOT_FOUND' })]);
    await again.engine.dismiss([toggle.id]);
    await again.engine.close();
    const third = await client(server, { storage });
    expect(third.engine.rejections()).toEqual([]);
  });
});
