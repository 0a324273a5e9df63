import { describe, expect, it } from 'vitest';
import type { Row } from '../../shared/index.ts';
import type { Accepted } from '../api/index.ts';
import { deferred } from '../base/index.ts';
import type { FeedBatch } from '../engine/index.ts';
import { INITIAL_STATUS } from '../sync/index.ts';
import { todo } from '../testing/todo-app.ts';
import { clientOn, clientOnLoaded } from './create-client.ts';
import type { Port } from './engine-port.ts';

/**
 * The page's replica against a scripted leader: the test plays the leader's row feed and its
 * answers, in the order the real leader sends them (a command's rows before its answer).
 */
function scriptedLeader(rows: Row[] = [], options: { feedAfter?: Promise<void> } = {}) {
  let feed: (batch: FeedBatch) => void = () => undefined;
  /** The leader's live queries of this page (its answers while the replica is not loaded). */
  const subscriptions: Array<(rows: Row[]) => void> = [];
  const answers = new Map<string, (accepted: Accepted) => void>();
  const submitted: Array<{ id: string; name: string; at: number | undefined }> = [];
  const engine: Port['engine'] = {
    submit: (id, name, _args, _listener, options) =>
      new Promise<Accepted>((resolve) => {
        submitted.push({ id, name, at: options?.at });
        answers.set(id, resolve);
      }),
    feed(_scopes, listener) {
      feed = listener;
      const reset = () => listener({ reset: true, tables: [{ scope: 'list:a', table: 'items', rows }], rows: [] });
      if (options.feedAfter) void options.feedAfter.then(reset);
      else queueMicrotask(reset);
      return () => undefined;
    },
    query: async () => [],
    subscribe: (_query, callback) => {
      subscriptions.push(callback);
      return () => void subscriptions.splice(subscriptions.indexOf(callback), 1);
    },
    onStatus: () => () => undefined,
    onRejected: () => () => undefined,
    rejections: async () => [],
    dismiss: async () => undefined,
    setOnline: async () => undefined,
  };
  const port: Port = {
    initial: { ...INITIAL_STATUS, leader: false },
    scopes: ['list:a'],
    engine,
    close: async () => undefined,
  };
  return {
    port,
    submitted,
    subscriptions,
    /** The leader's rows changed: these are its versions now. */
    rows: (changes: Array<{ key: string; row: Row | null }>) =>
      feed({
        reset: false,
        tables: [],
        rows: changes.map(({ key, row }) => ({ scope: 'list:a', table: 'items', key, row })),
      }),
    answer: (accepted: Accepted) => answers.get(accepted.id)?.(accepted),
    /** A new leader's first batch: all its rows, and the commands it holds already. */
    reset: (rows: Row[], included: string[]) =>
      feed({ reset: true, tables: [{ scope: 'list:a', table: 'items', rows }], rows: [], included }),
  };
}

const item = (itemId: string, text: string, done = false): Row => ({ itemId, listId: 'a', text, done });
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the page before its replica is loaded (flat first paint)', () => {
  it('serves a live query from the leader, then from the replica only when the rows differ', async () => {
    const feedSent = deferred();
    const leaderRows = [item('x', 'stored')];
    const leader = scriptedLeader(leaderRows, { feedAfter: feedSent.promise });
    const client = clientOn(todo, leader.port); // opened: nothing waits for the replica
    const seen: Row[][] = [];
    client.subscribe({ table: 'items', where: { listId: 'a' } }, (rows) => seen.push(rows));
    await settle();
    // The leader answers the live query (from IndexedDB, in a lazy engine).
    expect(leader.subscriptions).toHaveLength(1);
    leader.subscriptions[0]?.([item('x', 'stored')]);
    expect(seen).toEqual([[item('x', 'stored')]]);
    // A command now is the leader's to run (it waits for the scope's rows there): `applied`
    // waits for its answer, and the leader's live query shows it.
    const run = client.execute('add', { listId: 'a', itemId: 'y', text: 'new' });
    let applied = false;
    void run.applied.then(() => {
      applied = true;
    });
    await settle();
    expect(leader.submitted.map((command) => command.id)).toEqual([run.id]);
    expect(applied).toBe(false);
    leader.answer({ ok: true, id: run.id });
    leader.subscriptions[0]?.([item('x', 'stored'), item('y', 'new')]);
    await run.applied;
    // The replica loads (the leader's feed starts once its engine loaded the scope), holding
    // the same rows: nothing is delivered again.
    leaderRows.push(item('y', 'new'));
    feedSent.resolve();
    await settle();
    expect(seen).toEqual([[item('x', 'stored')], [item('x', 'stored'), item('y', 'new')]]);
    // From the replica now: the leader's own live query is stopped, a late answer of it is dropped.
    expect(leader.subscriptions).toHaveLength(0);
    leader.rows([{ key: 'x', row: item('x', 'renamed') }]);
    await settle();
    expect(seen.at(-1)).toEqual([item('x', 'renamed'), item('y', 'new')]);
    expect(seen).toHaveLength(3);
  });
});

describe('the page replica', () => {
  it('decides applied and the live query on the page, before the leader answers, and sends its time', async () => {
    const leader = scriptedLeader();
    const client = await clientOnLoaded(todo, leader.port);
    const seen: Row[][] = [];
    client.subscribe({ table: 'items', where: { listId: 'a' } }, (rows) => seen.push(rows));
    await settle();
    const run = client.execute('add', { listId: 'a', itemId: 'i1', text: 'milk' });
    await run.applied; // no answer from the leader yet
    expect(seen.at(-1)).toEqual([item('i1', 'milk')]);
    expect(leader.submitted).toEqual([{ id: run.id, name: 'add', at: expect.any(Number) }]);
    // Bad args are refused whatever the rows: here, and nothing is sent.
    const invalid = client.execute('add', { listId: 'a', itemId: '', text: 'x' });
    await expect(invalid.applied).rejects.toMatchObject({ code: 'bad_request' });
    expect(leader.submitted).toHaveLength(1);
    // A handler's refusal on the replica's rows may come from rows the replica has not got yet:
    // the leader decides it, and `applied` waits for its answer.
    const duplicate = client.execute('add', { listId: 'a', itemId: 'i1', text: 'again' });
    expect(leader.submitted).toHaveLength(2);
    leader.answer({ ok: false, id: duplicate.id, code: 'ALREADY_EXISTS', message: 'item i1 exists' });
    await expect(duplicate.applied).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('is corrected when the leader ran a command to another result, keeping the commands still pending', async () => {
    const leader = scriptedLeader([item('x', 'a')]);
    const client = await clientOnLoaded(todo, leader.port);
    const seen: Row[][] = [];
    client.subscribe({ table: 'items', where: { listId: 'a' } }, (rows) => seen.push(rows));
    await settle();
    const rename = client.execute('rename', { listId: 'a', itemId: 'x', text: 'b' });
    const add = client.execute('add', { listId: 'a', itemId: 'i2', text: 'eggs' });
    await add.applied;
    expect(seen.at(-1)).toEqual([item('i2', 'eggs'), item('x', 'b')]);
    // Another tab had marked x done: the leader's run of the rename kept that; the page's did not.
    leader.rows([{ key: 'x', row: item('x', 'b', true) }]);
    leader.answer({ ok: true, id: rename.id });
    await settle();
    expect(seen.at(-1)).toEqual([item('i2', 'eggs'), item('x', 'b', true)]);
    // The add, still unanswered, stayed in the overlay; its answer leaves the view on the leader's rows.
    leader.rows([{ key: 'i2', row: item('i2', 'eggs') }]);
    leader.answer({ ok: true, id: add.id });
    await settle();
    expect(seen.at(-1)).toEqual([item('i2', 'eggs'), item('x', 'b', true)]);
  });

  it('is corrected when the leader refuses a command the page applied', async () => {
    const leader = scriptedLeader();
    const client = await clientOnLoaded(todo, leader.port);
    const seen: Row[][] = [];
    client.subscribe({ table: 'items', where: { listId: 'a' } }, (rows) => seen.push(rows));
    await settle();
    const run = client.execute('add', { listId: 'a', itemId: 'mine', text: 'milk' });
    await run.applied;
    expect(seen.at(-1)).toEqual([item('mine', 'milk')]);
    // Other tabs filled the list first: the leader refuses it (LIST_LIMIT is 3).
    const others = [item('o1', '1'), item('o2', '2'), item('o3', '3')];
    leader.rows(others.map((row) => ({ key: row.itemId as string, row })));
    leader.answer({ ok: false, id: run.id, code: 'LIMIT', message: 'list a is full' });
    await expect(run.confirmed).rejects.toMatchObject({ code: 'LIMIT' });
    await expect(run.durable).rejects.toMatchObject({ code: 'LIMIT' });
    await settle();
    expect(seen.at(-1)).toEqual(others);
  });

  it('after a leader change, keeps a pending command the new leader already holds once, not twice', async () => {
    const leader = scriptedLeader([item('x', 'a')]);
    const client = await clientOnLoaded(todo, leader.port);
    const seen: Row[][] = [];
    client.subscribe({ table: 'items', where: { listId: 'a' } }, (rows) => seen.push(rows));
    await settle();
    const toggle = client.execute('toggle', { listId: 'a', itemId: 'x' });
    const add = client.execute('add', { listId: 'a', itemId: 'y', text: 'new' });
    await add.applied;
    expect(seen.at(-1)).toEqual([item('x', 'a', true), item('y', 'new')]);
    // The old leader made the toggle durable, then died; the new one loaded it, not the add.
    leader.reset([item('x', 'a', true)], [toggle.id]);
    await settle();
    expect(seen.at(-1)).toEqual([item('x', 'a', true), item('y', 'new')]); // not toggled back
    leader.answer({ ok: true, id: toggle.id }); // resent: it holds it
    leader.rows([{ key: 'y', row: item('y', 'new') }]);
    leader.answer({ ok: true, id: add.id });
    await settle();
    expect(seen.at(-1)).toEqual([item('x', 'a', true), item('y', 'new')]);
  });
});
