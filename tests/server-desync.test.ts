import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PullResponse } from '../shared/index.ts';
import { api, commandFactory, storeState } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { type RunningServer, startServer, tempDir } from './support/server-process.ts';

let server: RunningServer;
const temp = tempDir();
beforeAll(async () => {
  server = await startServer(`${temp.dir}/desync.db`);
});
afterAll(async () => {
  await server.stop();
  temp.dispose();
});

describe('typed desync answers (DESIGN §5)', () => {
  it('409 client_unknown when the server has no record of a client that is past seq 1', async () => {
    const commands = commandFactory('forgotten', 7);
    const res = await api(server.url, 'demo:ann').push({
      clientId: 'forgotten',
      commands: [commands.next('createBoard', { boardId: 'forgotten', title: 'F' })],
    });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'client_unknown', expected: 1 });
  });

  it('409 cursor_ahead for a pull, a live cursor or a baseSeq past the head, storing nothing', async () => {
    const board = await seedBoard(server.url, 'ann', 'ds-1', 'ahead');
    const pull = await board.client.get<PullResponse>('/v1/pull?scope=board%3Aahead&after=99');
    expect(pull.status).toBe(409);
    expect(pull.json.error).toMatchObject({ code: 'cursor_ahead' });
    const live = await board.client.raw('/v1/live?scope=board%3Aahead%3A99');
    expect(live.status).toBe(409);
    expect(((await live.json()) as { error: { code: string } }).error.code).toBe('cursor_ahead');

    const before = await storeState(server.store, [board.scope], ['ds-1']);
    const cmd = board.commands.next(
      'addCard',
      { boardId: 'ahead', cardId: 'a', columnId: board.todo, title: 'A' },
      { baseSeq: 50 },
    );
    const res = await board.client.push({ clientId: 'ds-1', commands: [cmd] });
    expect(res.status).toBe(409);
    expect(res.json.error?.code).toBe('cursor_ahead');
    expect(await storeState(server.store, [board.scope], ['ds-1'])).toBe(before);
  });

  it('426 upgrade_required for an app version the server does not accept, storing nothing', async () => {
    const board = await seedBoard(server.url, 'ann', 'ds-2', 'versions');
    const before = await storeState(server.store, [board.scope], ['ds-2']);
    const cmd = board.commands.next('addCard', { boardId: 'versions', cardId: 'a', columnId: board.todo, title: 'A' });
    const res = await board.client.push({ clientId: 'ds-2', appVersion: 99, commands: [cmd] });
    expect(res.status).toBe(426);
    expect(res.json.error?.code).toBe('upgrade_required');
    expect(await storeState(server.store, [board.scope], ['ds-2'])).toBe(before);
    const current = await board.client.push({ clientId: 'ds-2', appVersion: 1, commands: [cmd] });
    expect(current.status).toBe(200);
  });

  it('pull and live answer 400 to a missing scope or a cursor without a seq', async () => {
    const res = await api(server.url, 'demo:ann').get<PullResponse>('/v1/pull?scope=');
    expect(res.status).toBe(400);
    const bad = await api(server.url, 'demo:ann').raw('/v1/live?scope=no-cursor');
    expect(bad.status).toBe(400);
  });
});
