import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth } from '../server/index.ts';
import { api } from './support/http.ts';
import { seedBoard } from './support/kanban.ts';
import { type RunningServer, startServer, tempDir } from './support/server-process.ts';
import { openLive } from './support/sse.ts';

/**
 * TEST-PLAN X03/X07 and G14: rights are checked again at delivery time. When a user loses the
 * read right on a scope while subscribed, the live stream delivers nothing more of it and is
 * closed; when they lose the write right, their next push to it is refused with 403 and
 * stores nothing.
 */
const members = new Map<string, Set<string>>([['board:authz', new Set(['ann', 'bob'])]]);
let server: RunningServer;
const temp = tempDir();

beforeAll(async () => {
  const auth = bearerAuth({
    verify: (token) => (token.startsWith('demo:') ? { userId: token.slice(5) } : null),
    authorize: (principal, right, scope) => right !== 'audit' && (members.get(scope)?.has(principal.userId) ?? false),
  });
  server = await startServer(`${temp.dir}/authz.db`, { auth });
});
afterAll(async () => {
  await server.stop();
  temp.dispose();
});

describe('authorization at delivery time', () => {
  it('a revoked reader gets no further events and its stream closes; a revoked writer gets 403', async () => {
    const ann = await seedBoard(server.url, 'ann', 'authz-ann', 'authz');
    const live = await openLive(server.url, 'demo:bob', ['board:authz:0']);
    expect(live.status).toBe(200);
    await live.until((messages) => messages.flatMap((m) => m.events).length === 3);

    members.get('board:authz')?.delete('bob');
    const add = ann.commands.next('addCard', { boardId: 'authz', cardId: 'secret', columnId: ann.todo, title: 'S' });
    expect((await ann.client.push({ clientId: 'authz-ann', commands: [add] })).status).toBe(200);
    await live.ended;
    expect(live.messages.flatMap((m) => m.events).map((e) => e.seq)).toEqual([1, 2, 3]);

    const bob = api(server.url, 'demo:bob');
    const before = await server.store.readEvents('board:authz', 0, 100);
    const refused = await bob.push({
      clientId: 'authz-bob',
      commands: [
        {
          id: 'authz-bob-1',
          seq: 1,
          name: 'renameCard',
          args: { boardId: 'authz', cardId: 'secret', title: 'mine' },
          at: 1,
          baseSeq: 4,
        },
      ],
    });
    expect(refused.status).toBe(403);
    expect(refused.json.error?.code).toBe('forbidden');
    expect(await server.store.readEvents('board:authz', 0, 100)).toEqual(before);
    const pull = await bob.get('/v1/pull?scope=board%3Aauthz&after=0');
    expect(pull.status).toBe(403);
    const again = await openLive(server.url, 'demo:bob', ['board:authz:0']);
    expect(again.status).toBe(403);
    await again.close();
  });
});
