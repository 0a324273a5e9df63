import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullResponse } from '../shared/index.ts';
import { storeState } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { type RunningServer, startServer, tempDir } from './support/server-process.ts';

let server: RunningServer;
const temp = tempDir();
beforeAll(async () => {
  server = await startServer(`${temp.dir}/idem.db`);
});
afterAll(async () => {
  await server.stop();
  temp.dispose();
});

async function eventsOf(board: Awaited<ReturnType<typeof seedBoard>>) {
  const res = await board.client.get<PullResponse>(`/v1/pull?scope=${encodeURIComponent(board.scope)}&after=0`);
  return res.json.events;
}

describe('idempotency and client order', () => {
  it('applies a command pushed twice once, and answers the duplicate with the original result', async () => {
    const board = await seedBoard(server.url, 'ann', 'i-1', 'idem1');
    const add = board.commands.next('addCard', { boardId: 'idem1', cardId: 'a', columnId: board.todo, title: 'A' });
    const first = await board.client.push({ clientId: 'i-1', commands: [add] });
    const second = await board.client.push({ clientId: 'i-1', commands: [add] });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const [original] = first.json.results;
    expect(second.json.results).toEqual([{ ...original, duplicate: true }]);
    expect((await eventsOf(board)).filter((e) => e.commandId === add.id)).toHaveLength(1);
  });

  it('applies a whole replayed batch once, including a rejected command, with the original results', async () => {
    const board = await seedBoard(server.url, 'ann', 'i-2', 'idem2');
    const batch = [
      board.commands.next('addCard', { boardId: 'idem2', cardId: 'a', columnId: board.doing, title: 'A' }),
      board.commands.next('addCard', { boardId: 'idem2', cardId: 'b', columnId: board.doing, title: 'B' }),
      board.commands.next('addCard', { boardId: 'idem2', cardId: 'c', columnId: board.doing, title: 'C' }),
    ];
    const first = await board.client.push({ clientId: 'i-2', commands: batch });
    expect(first.json.results.map((r) => r.status)).toEqual(['applied', 'applied', 'rejected']);
    const before = await storeState(server.store, [board.scope], ['i-2']);
    const replay = await board.client.push({ clientId: 'i-2', commands: batch });
    expect(replay.status).toBe(200);
    expect(replay.json.results).toEqual(first.json.results.map((r) => ({ ...r, duplicate: true })));
    expect(await storeState(server.store, [board.scope], ['i-2'])).toBe(before);
  });

  it('answers a seq gap with 409 seq_gap and the expected seq, and stores nothing', async () => {
    const board = await seedBoard(server.url, 'ann', 'i-3', 'idem3');
    board.commands.next('addCard', { boardId: 'idem3', cardId: 'skipped', columnId: board.todo, title: 'S' });
    const ahead = board.commands.next('addCard', { boardId: 'idem3', cardId: 'a', columnId: board.todo, title: 'A' });
    const before = await storeState(server.store, [board.scope], ['i-3']);
    const res = await board.client.push({ clientId: 'i-3', commands: [ahead] });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'seq_gap', expected: 4 });
    expect(await storeState(server.store, [board.scope], ['i-3'])).toBe(before);
  });

  it('refuses a whole batch with a gap in its middle and stores none of it', async () => {
    const board = await seedBoard(server.url, 'ann', 'i-4', 'idem4');
    const ok = board.commands.next('addCard', { boardId: 'idem4', cardId: 'a', columnId: board.todo, title: 'A' });
    board.commands.next('addCard', { boardId: 'idem4', cardId: 'gap', columnId: board.todo, title: 'G' });
    const after = board.commands.next('addCard', { boardId: 'idem4', cardId: 'b', columnId: board.todo, title: 'B' });
    const before = await storeState(server.store, [board.scope], ['i-4']);
    const res = await board.client.push({ clientId: 'i-4', commands: [ok, after] });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'seq_gap', expected: 5 });
    expect(await storeState(server.store, [board.scope], ['i-4'])).toBe(before);
  });

  it('answers the same id or seq resent with other args with 409 idempotency_conflict, changing nothing', async () => {
    const board = await seedBoard(server.url, 'ann', 'i-5', 'idem5');
    const add = board.commands.next('addCard', { boardId: 'idem5', cardId: 'a', columnId: board.todo, title: 'A' });
    await board.client.push({ clientId: 'i-5', commands: [add] });
    const other = await seedBoard(server.url, 'bob', 'i-5b', 'idem5b');
    const before = await storeState(server.store, [board.scope, other.scope], ['i-5', 'i-5b']);

    const sameIdOtherArgs = { ...add, args: { ...(add.args as object), title: 'changed' } };
    const r1 = await board.client.push({ clientId: 'i-5', commands: [sameIdOtherArgs] });
    expect(r1.status).toBe(409);
    expect(r1.json.error?.code).toBe('idempotency_conflict');

    const sameSeqOtherId = { ...add, id: 'another-id' };
    const r2 = await board.client.push({ clientId: 'i-5', commands: [sameSeqOtherId] });
    expect(r2.status).toBe(409);
    expect(r2.json.error?.code).toBe('idempotency_conflict');

    const sameIdOtherName = { ...add, name: 'renameCard', args: { boardId: 'idem5', cardId: 'a', title: 'A' } };
    const r3 = await board.client.push({ clientId: 'i-5', commands: [sameIdOtherName] });
    expect(r3.status).toBe(409);
    expect(r3.json.error?.code).toBe('idempotency_conflict');

    // A command id another client already used is a conflict too: ids are unique server-wide.
    const stolen = {
      ...other.commands.next('addCard', { boardId: 'idem5b', cardId: 'x', columnId: other.todo, title: 'X' }),
      id: add.id,
    };
    const r4 = await other.client.push({ clientId: 'i-5b', commands: [stolen] });
    expect(r4.status).toBe(409);
    expect(r4.json.error?.code).toBe('idempotency_conflict');

    expect(await storeState(server.store, [board.scope, other.scope], ['i-5', 'i-5b'])).toBe(before);
  });

  it('treats a resend of an earlier seq as a duplicate, not a gap', async () => {
    const board = await seedBoard(server.url, 'ann', 'i-6', 'idem6');
    const a = board.commands.next('addCard', { boardId: 'idem6', cardId: 'a', columnId: board.todo, title: 'A' });
    const b = board.commands.next('addCard', { boardId: 'idem6', cardId: 'b', columnId: board.todo, title: 'B' });
    await board.client.push({ clientId: 'i-6', commands: [a, b] });
    // The client lost the reply for [a, b] and resends them with a new command c behind.
    const c = board.commands.next('addCard', { boardId: 'idem6', cardId: 'c', columnId: board.todo, title: 'C' });
    const res = await board.client.push({ clientId: 'i-6', commands: [a, b, c] });
    expect(res.status).toBe(200);
    expect(res.json.results.map((r) => [r.seq, r.status, r.duplicate ?? false])).toEqual([
      [4, 'applied', true],
      [5, 'applied', true],
      [6, 'applied', false],
    ]);
    const cards = (await eventsOf(board)).filter((e) => e.type === 'cardAdded');
    expect(cards.map((e) => (e.data as { cardId: string }).cardId)).toEqual(['a', 'b', 'c']);
  });
});
