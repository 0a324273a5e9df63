import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Row } from '../../shared/index.ts';
import { deferred } from '../base/index.ts';
import type { ClientStorage } from '../storage/index.ts';
import { memoryStorage } from '../storage/index.ts';
import type { FakeServer } from '../testing/fake-server.ts';
import { fakeServer, openClient, until } from '../testing/harness.ts';
import { type TodoApp, todo } from '../testing/todo-app.ts';
import type { Engine } from './engine.ts';
import type { FeedBatch } from './row-feed.ts';

/**
 * Lazy scopes (issue 16, flat first paint): a lazy engine reopens without reading the rows of
 * scopes that have no pending command; it serves them from storage until a command, a live
 * query, a row feed or the sync loop loads them.
 */

const engines: Engine<TodoApp>[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

async function open(...args: Parameters<typeof openClient<TodoApp>>) {
  const opened = await openClient<TodoApp>(...args);
  engines.push(opened.engine);
  return opened;
}

const item = (listId: string, itemId: string, text = itemId, done = false) => ({ itemId, listId, text, done });
const SCOPES = ['list:a', 'list:b'];

/** A storage holding confirmed rows of `list:a` (`a1`, `a2`) and `list:b` (`b1`), nothing pending. */
async function storedHistory(server: FakeServer = fakeServer()): Promise<ClientStorage> {
  const storage = memoryStorage({ tables: todo.tables });
  const { engine } = await open(server, { storage, scopes: SCOPES });
  const runs = [
    engine.execute('add', { listId: 'a', itemId: 'a1', text: 'a1' }),
    engine.execute('add', { listId: 'a', itemId: 'a2', text: 'a2' }),
    engine.execute('add', { listId: 'b', itemId: 'b1', text: 'b1' }),
  ];
  await Promise.all(runs.map((run) => run.confirmed));
  await engine.flush();
  await engine.close();
  return storage;
}

/** Counts what a storage is asked for: the rows `load` returned, and each row read by scope. */
function counted(storage: ClientStorage) {
  const loadedRows: string[] = [];
  const load = storage.load.bind(storage);
  vi.spyOn(storage, 'load').mockImplementation(async (request) => {
    const stored = await load(request);
    loadedRows.push(...stored.rows.map((row) => `${row.scope}/${row.key}`));
    return stored;
  });
  const readRows = vi.spyOn(storage, 'readRows');
  const queryRows = vi.spyOn(storage, 'queryRows');
  return {
    loadedRows,
    /** The scopes whose rows were read whole (a load). */
    readScopes: () => [...new Set(readRows.mock.calls.map(([, scope]) => scope))],
    /** The scopes queried through an index. */
    queriedScopes: () => [...new Set(queryRows.mock.calls.map(([, scope]) => scope))],
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('lazy scopes', () => {
  it('reopens without reading the rows of a scope no one asked for, and serves a query from storage', async () => {
    const storage = await storedHistory();
    const calls = counted(storage);
    const { engine } = await open(fakeServer(), { storage, scopes: SCOPES, lazy: true, sync: false });
    expect(calls.loadedRows).toEqual([]);
    expect(engine.status().pending).toBe(0);
    // A one-shot read goes through the declared index, and loads nothing.
    expect(await engine.read({ table: 'items', scope: 'list:a', where: { listId: 'a' } })).toEqual([
      item('a', 'a1'),
      item('a', 'a2'),
    ]);
    expect(await engine.read({ table: 'items', orderBy: { field: 'text', direction: 'desc' }, limit: 2 })).toEqual([
      item('b', 'b1'),
      item('a', 'a2'),
    ]);
    expect(calls.queriedScopes()).toEqual(['list:a', 'list:b']);
    expect(calls.readScopes()).toEqual([]);
    expect(() => engine.query({ table: 'items', scope: 'list:a' })).toThrow(/not loaded/);
  });

  it('reopens a scope with pending commands unloaded: a read applies them over its stored rows, a load rebases them', async () => {
    const storage = await storedHistory();
    const first = await open(fakeServer(), { storage, scopes: SCOPES, sync: false });
    await first.engine.execute('rename', { listId: 'a', itemId: 'a1', text: 'renamed' }).durable;
    await first.engine.execute('add', { listId: 'a', itemId: 'a0', text: 'a0' }).durable;
    await first.engine.close();
    const calls = counted(storage);
    const { engine } = await open(fakeServer(), { storage, scopes: SCOPES, lazy: true, sync: false });
    expect(calls.loadedRows).toEqual([]);
    expect(engine.status().pending).toBe(2);
    expect(() => engine.query({ table: 'items', scope: 'list:a' })).toThrow(/not loaded/);
    const expected = [item('a', 'a0'), item('a', 'a1', 'renamed'), item('a', 'a2')];
    expect(await engine.read({ table: 'items', scope: 'list:a' })).toEqual(expected);
    expect(await engine.read({ table: 'items', scope: 'list:a', limit: 1 })).toEqual(expected.slice(0, 1));
    expect(calls.readScopes()).toEqual([]); // served through the indexes, loading nothing
    await engine.load(['list:a']);
    expect(engine.query({ table: 'items', scope: 'list:a' })).toEqual(expected);
    expect(() => engine.query({ table: 'items', scope: 'list:b' })).toThrow(/not loaded/);
  });

  it('pushes the pending commands of a scope reopened unloaded once it loads: each confirmed once, over its rows', async () => {
    const server = fakeServer();
    const storage = await storedHistory(server);
    const first = await open(server, { storage, scopes: SCOPES, sync: false });
    await first.engine.execute('rename', { listId: 'a', itemId: 'a1', text: 'renamed' }).durable;
    await first.engine.execute('add', { listId: 'a', itemId: 'a3', text: 'a3' }).durable;
    await first.engine.close();
    const { engine } = await open(server, { storage, scopes: SCOPES, lazy: true });
    await until(() => engine.status().pending === 0, 'the pending commands confirmed');
    const expected = [item('a', 'a1', 'renamed'), item('a', 'a2'), item('a', 'a3')];
    expect(engine.query({ table: 'items', scope: 'list:a' })).toEqual(expected);
    expect(server.applied).toBe(5); // three stored, then the two pending, each once
    expect(server.dump('list:a').items).toEqual(expected);
    await engine.flush();
    expect(await storage.readRows('items', 'list:a')).toEqual(expected);
  });

  it('lets a read issued after a waiting command see it', async () => {
    const storage = await storedHistory();
    const calls = counted(storage);
    const { engine } = await open(fakeServer(), { storage, scopes: SCOPES, lazy: true, sync: false });
    const run = engine.execute('add', { listId: 'a', itemId: 'a3', text: 'a3' });
    const read = engine.read({ table: 'items', scope: 'list:a' });
    expect((await read).map((row) => row.itemId)).toEqual(['a1', 'a2', 'a3']);
    await run.applied;
    expect(calls.queriedScopes()).toEqual([]); // it waited for the load, and read memory
  });

  it('runs a command on a scope not loaded once its rows are loaded: applied resolves after that', async () => {
    const storage = await storedHistory();
    const calls = counted(storage);
    const { engine } = await open(fakeServer(), { storage, scopes: SCOPES, lazy: true, sync: false });
    const ok = engine.execute('add', { listId: 'a', itemId: 'a3', text: 'a3' });
    expect(() => engine.query({ table: 'items', scope: 'list:a' })).toThrow(/not loaded/);
    // A second command in the same task waits for the same load (one read), and runs after the
    // first: the limit of three items per list sees a1, a2 (loaded) and a3.
    const full = engine.execute('add', { listId: 'a', itemId: 'a4', text: 'a4' });
    await ok.applied;
    expect(engine.query({ table: 'items', scope: 'list:a' })).toEqual([
      item('a', 'a1'),
      item('a', 'a2'),
      item('a', 'a3'),
    ]);
    await expect(full.applied).rejects.toMatchObject({ code: 'LIMIT' });
    await ok.durable;
    expect(engine.pending().map((command) => command.id)).toEqual([ok.id]);
    expect(calls.readScopes()).toEqual(['list:a']);
    // `submit` (synchronous) refuses a scope not loaded rather than run it over no rows.
    expect(engine.submit('b2-early', 'add', { listId: 'b', itemId: 'b2', text: '' })).toMatchObject({
      ok: false,
      code: 'scope_not_loaded',
    });
    await engine.load(['list:b']);
    expect(engine.submit('b2', 'add', { listId: 'b', itemId: 'b2', text: '' })).toMatchObject({ ok: true });
  });

  it('gives a live query its first rows from storage, then from memory only when they differ', async () => {
    const storage = await storedHistory();
    const calls = counted(storage);
    const { engine } = await open(fakeServer(), { storage, scopes: SCOPES, lazy: true, sync: false });
    const seen: Row[][] = [];
    engine.subscribe({ table: 'items', scope: 'list:a', where: { listId: 'a' } }, (rows) => seen.push(rows));
    expect(seen).toEqual([]); // a task later: storage answers asynchronously
    await engine.load(['list:a']);
    await settle();
    // Storage's result and the loaded one are equal: delivered once, no flicker.
    expect(seen).toEqual([[item('a', 'a1'), item('a', 'a2')]]);
    expect(calls.queriedScopes()).toEqual(['list:a']);
    // From memory now: a command's effect shows in the same way as on a loaded scope.
    engine.execute('add', { listId: 'a', itemId: 'a3', text: 'a3' });
    await settle();
    expect(seen).toEqual([
      [item('a', 'a1'), item('a', 'a2')],
      [item('a', 'a1'), item('a', 'a2'), item('a', 'a3')],
    ]);
  });

  it('never delivers an older result: a storage answer slower than the load is dropped', async () => {
    const storage = await storedHistory();
    const gate = deferred();
    const queryRows = storage.queryRows.bind(storage);
    vi.spyOn(storage, 'queryRows').mockImplementation(async (...args) => {
      const rows = await queryRows(...args); // read now: the rows before the command below
      await gate.promise;
      return rows;
    });
    const { engine } = await open(fakeServer(), { storage, scopes: SCOPES, lazy: true, sync: false });
    const seen: string[][] = [];
    engine.subscribe({ table: 'items', scope: 'list:a' }, (rows) => seen.push(rows.map((row) => row.itemId)));
    const run = engine.execute('add', { listId: 'a', itemId: 'a3', text: 'a3' });
    await run.applied;
    await settle();
    // From memory: the command ran in the task that loaded the rows, before the live query read them.
    expect(seen).toEqual([['a1', 'a2', 'a3']]);
    gate.resolve(); // storage answers only now, with the rows from before the command
    await settle();
    expect(seen).toEqual([['a1', 'a2', 'a3']]);
  });

  it('starts a row feed once the scope is loaded, with every row in its first batch', async () => {
    const storage = await storedHistory();
    const { engine } = await open(fakeServer(), { storage, scopes: SCOPES, lazy: true, sync: false });
    const batches: FeedBatch[] = [];
    engine.feed(['list:b'], (batch) => batches.push(batch));
    await until(() => batches.length > 0, 'the first batch');
    expect(batches[0]).toMatchObject({ reset: true, tables: [{ scope: 'list:b', rows: [item('b', 'b1')] }] });
    expect(engine.query({ table: 'items', scope: 'list:b' })).toEqual([item('b', 'b1')]);
  });

  it('after an app upgrade, rebuilds the scopes at open and still loads none of them', async () => {
    const storage = await storedHistory();
    const upgraded = { ...todo, version: 2 } as TodoApp;
    const calls = counted(storage);
    const replayed = vi.spyOn(storage, 'readEvents');
    const { engine } = await open(fakeServer(), { app: upgraded, storage, scopes: SCOPES, lazy: true, sync: false });
    expect(replayed.mock.calls.map(([scope]) => scope)).toEqual(SCOPES);
    expect(calls.loadedRows).toEqual([]);
    expect(await engine.read({ table: 'items', scope: 'list:b' })).toEqual([item('b', 'b1')]);
    await engine.load(['list:a']);
    expect(engine.query({ table: 'items', scope: 'list:a' })).toEqual([item('a', 'a1'), item('a', 'a2')]);
  });

  it('loads a scope before the sync loop applies confirmed events to it', async () => {
    const server = fakeServer();
    const storage = await storedHistory(server);
    const other = await open(server, { scopes: SCOPES });
    await until(() => other.engine.query({ table: 'items', scope: 'list:a' }).length === 2, 'the other client synced');
    await other.engine.execute('rename', { listId: 'a', itemId: 'a2', text: 'from another client' }).confirmed;
    const calls = counted(storage);
    const { engine } = await open(server, { storage, scopes: SCOPES, lazy: true });
    await until(() => engine.status().syncing === false && calls.readScopes().length === 2, 'both scopes loaded');
    await until(
      () => engine.query({ table: 'items', scope: 'list:a' }).some((row) => row.text === 'from another client'),
      'the rename',
    );
    // The rows stored before the rename are kept: it applied over the loaded scope.
    expect(engine.query({ table: 'items', scope: 'list:a' })).toEqual([
      item('a', 'a1'),
      item('a', 'a2', 'from another client'),
    ]);
    expect(calls.loadedRows).toEqual([]);
  });
});
